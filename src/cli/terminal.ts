/**
 * The run console of `pipeline` and `demo`: where a run's log lines and job events go.
 * - Every JSON log line is kept and written to the lake as `_logs/<yyyy-mm-dd>/<run-id>.jsonl`
 *   (through the ObjectStore, so on S3 too), when the command ends and at most once a minute between
 *   graphs (`checkpoint`): the store has no append, so each write replaces the file with all lines so far.
 * - Machine mode (stderr not a terminal, or LOG_FORMAT=json): the JSON lines also go to stderr, as before.
 * - Terminal mode: the lines of src/cli/progress.ts (one per job, a live progress line, a summary),
 *   warnings and errors; the detailed lines too with --verbose.
 */
import { Config } from '../config/config.js';
import type { JobEvent, JobEventListener } from '../graph/runner.js';
import { ObjectStore } from '../lake/objectStore.js';
import { Logger, createLineLogger, humanLine } from '../log.js';
import { newRunId } from '../run/context.js';
import { Style, Tally, applyEvent, colorEnabled, formatJobLine, formatLogNotice, formatProgressLine, formatSummary, newTally, paint } from './progress.js';

/** Between graphs, the log file is rewritten at most this often (each write copies every line so far). */
const CHECKPOINT_EVERY_MS = 60_000;
const CLEAR_LINE = '\r\x1b[K';

export class RunConsole {
  readonly runId = newRunId();
  /** The log file's key in the lake. */
  readonly logKey = `_logs/${this.runId.slice(0, 4)}-${this.runId.slice(4, 6)}-${this.runId.slice(6, 8)}/${this.runId}.jsonl`;
  private readonly lines: string[] = [];
  private readonly started = Date.now();
  private terminal = false;
  private style: Style = { color: false };
  private tally: Tally = newTally();
  private store: ObjectStore | null = null;
  private progressShown = false;
  private timer: NodeJS.Timeout | null = null;
  private lastWrite = Date.now();
  private linesWritten = 0;
  private closed = false;
  private readonly clearOnSignal = () => this.clearProgress();

  constructor(private readonly options: { command: string; argv: string[]; verbose?: boolean; stream?: NodeJS.WriteStream }) {
    this.lines.push(`${JSON.stringify({ level: 30, time: this.started, event: 'cli.run', command: options.command, argv: options.argv, runId: this.runId, msg: `${options.command} ${options.argv.join(' ')}` })}\n`);
  }

  private get stream(): NodeJS.WriteStream {
    return this.options.stream ?? process.stderr;
  }

  /** The command's logger; the mode follows the configuration (config.logFormat: pretty = a terminal). */
  logger(config: Config): Logger {
    this.terminal = config.logFormat === 'pretty';
    this.style = { color: colorEnabled(this.stream.isTTY, process.env) };
    if (this.terminal) {
      // A signal exits at once (src/cli/main.ts): take the progress line away before its message.
      process.prependListener('SIGINT', this.clearOnSignal);
      process.prependListener('SIGTERM', this.clearOnSignal);
    }
    return createLineLogger((line) => this.onLogLine(line));
  }

  /** The lake the log file goes to. */
  attach(store: ObjectStore): void {
    this.store = store;
  }

  /** How many jobs the command will run (null when it cannot know in advance). */
  plan(total: number | null): void {
    this.tally = { ...this.tally, total };
  }

  readonly onEvent: JobEventListener = (e: JobEvent) => {
    const at = Date.now() - this.started;
    this.tally = applyEvent(this.tally, e, at);
    if (!this.terminal) return;
    if (e.type !== 'job.started') this.above(formatJobLine(e, this.tally.done, this.tally.total, this.style));
    else this.drawProgress();
    this.timer ??= setInterval(() => this.drawProgress(), 1000).unref();
  };

  /** Between graphs: writes the log file if the last write is a minute old. */
  async checkpoint(): Promise<void> {
    if (Date.now() - this.lastWrite >= CHECKPOINT_EVERY_MS) await this.writeLog();
  }

  /**
   * At the end, success or failure: the summary (terminal mode) and the log file. A second call (the
   * demo closes before printing its results) only writes lines logged since.
   */
  async close(): Promise<void> {
    if (this.closed) {
      if (this.lines.length > this.linesWritten) await this.writeLog();
      return;
    }
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clearProgress();
    process.removeListener('SIGINT', this.clearOnSignal);
    process.removeListener('SIGTERM', this.clearOnSignal);
    const written = await this.writeLog();
    if (!this.terminal) return;
    const where = written && this.store ? `\n${paint(this.style, 'dim', `Log: ${this.store.describe(this.logKey)}`)}` : '';
    if (this.tally.done > 0 || this.tally.total !== null) this.stream.write(`\n${formatSummary(this.tally, Date.now() - this.started, this.style)}${where}\n`);
  }

  private onLogLine(line: string): void {
    this.lines.push(line);
    if (!this.terminal) {
      this.stream.write(line);
      return;
    }
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch {
      return;
    }
    if (Number(o.level) === 40) this.tally = { ...this.tally, warnings: this.tally.warnings + 1 };
    if (this.options.verbose) {
      const text = humanLine(line).replace(/\n$/, '');
      const level = Number(o.level);
      this.above(level >= 50 ? paint(this.style, 'red', text) : level >= 40 ? paint(this.style, 'yellow', text) : text);
    } else {
      const notice = formatLogNotice(o, this.style);
      if (notice) this.above(notice);
    }
  }

  /** A line above the progress line, which is drawn again below it. */
  private above(text: string): void {
    this.clearProgress();
    this.stream.write(`${text}\n`);
    if (this.tally.done > 0 || this.tally.running.length > 0) this.drawProgress();
  }

  private drawProgress(): void {
    if (!this.terminal) return;
    const line = formatProgressLine(this.tally, Date.now() - this.started, this.stream.columns);
    this.stream.write(`${CLEAR_LINE}${paint(this.style, 'dim', line)}`);
    this.progressShown = true;
  }

  private clearProgress(): void {
    if (!this.progressShown) return;
    this.stream.write(CLEAR_LINE);
    this.progressShown = false;
  }

  /** Writes every line so far; a failure is one line on stderr, never the command's failure. */
  private async writeLog(): Promise<boolean> {
    if (!this.store) return false;
    this.lastWrite = Date.now();
    try {
      const count = this.lines.length;
      await this.store.writeText(this.logKey, this.lines.join(''));
      this.linesWritten = count;
      return true;
    } catch (err) {
      const msg = `could not write the run log ${this.store.describe(this.logKey)}: ${(err as Error).message}`;
      this.stream.write(this.terminal ? `${paint(this.style, 'yellow', `WARN  ${msg}`)}\n` : `${JSON.stringify({ level: 40, time: Date.now(), event: 'log.unwritten', msg })}\n`);
      return false;
    }
  }
}
