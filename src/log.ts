/**
 * One root pino logger. Machines get JSON lines (LOG_FORMAT=json or no TTY); a person at a terminal
 * gets short progress lines. Connection strings and credentials are redacted.
 */
import pino, { Logger } from 'pino';
import { Writable } from 'node:stream';

export type { Logger };

const REDACT = ['password', 'secret', 'url', 'warehouseUrl', 'connectionString', '*.password', '*.secret', '*.url'];

/** A pino JSON line as a short human line (`12:00:01 WARN  [job date] message  key=value`). */
export function humanLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return line;
  }
  const { level, time, msg, job, date, month, runId, pid, hostname, event, ...rest } = o as Record<string, unknown>;
  void pid;
  void hostname;
  void runId;
  const t = new Date(Number(time)).toISOString().slice(11, 19);
  const lvl = Number(level) >= 50 ? 'ERROR ' : Number(level) >= 40 ? 'WARN  ' : '';
  const where = [job, date ?? month].filter(Boolean).join(' ');
  const extras = Object.entries(rest)
    .filter(([, v]) => v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return `${t} ${lvl}${where ? `[${where}] ` : ''}${msg ?? event ?? ''}${extras ? `  ${extras}` : ''}\n`;
}

/** Creates the root logger; `pretty` prints human lines to stderr, `json` prints pino JSON lines. */
export function createLogger(format: 'json' | 'pretty', level = process.env.LOG_LEVEL || 'info'): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined };
  if (format === 'json') return pino(options, pino.destination({ fd: 2, sync: true }));
  const out = new Writable({
    write(chunk, _enc, cb) {
      process.stderr.write(humanLine(String(chunk)));
      cb();
    },
  });
  return pino(options, out);
}

/** A logger whose JSON lines are handed to `write`, one call per line (the CLI's run console decides where they go). */
export function createLineLogger(write: (line: string) => void, level = process.env.LOG_LEVEL || 'info'): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined };
  const out = new Writable({
    write(chunk, _enc, cb) {
      write(String(chunk));
      cb();
    },
  });
  return pino(options, out);
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Converts BigInt values so counts can be logged and serialised. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
}
