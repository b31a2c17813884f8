/** Shared CLI plumbing: configuration, logger, services, and the one-line error + exit code. */
import { Config, loadConfig } from '../config/config.js';
import { exitCodeOf, oneLine } from '../errors.js';
import { createLogger, Logger } from '../log.js';
import { Services } from '../runtime/context.js';
import { openServices } from '../runtime/services.js';

export async function withServices<T>(fn: (services: Services, config: Config, log: Logger) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const log = createLogger(config.logFormat);
  const services = await openServices(config, log);
  try {
    return await fn(services, config, log);
  } finally {
    services.engine.close();
  }
}

/** Runs a CLI body: on failure, one line on stderr and a non-zero exit code. */
export function cliMain(body: () => Promise<number | void>): void {
  body().then(
    (code) => process.exit(code ?? 0),
    (err) => {
      process.stderr.write(`error: ${oneLine(err)}\n`);
      if (process.env.ACE_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(exitCodeOf(err));
    },
  );
}
