/** Shared CLI plumbing: configuration, logger, services, and the one-line error + exit code. */
import { Config, loadConfig } from '../config/config.js';
import { exitCodeOf, oneLine } from '../errors.js';
import { createLogger, Logger } from '../log.js';
import { Services } from '../run/context.js';
import { openServices } from '../run/services.js';
import { HelpShown } from './args.js';
import { ObjectStore } from '../lake/objectStore.js';
import { exitAfterFlush, guardOutput } from './output.js';
import { ShutdownError, isPublishing, publishedCount, requestShutdown, shutdownMessage, shutdownRequested } from '../run/abort.js';

/** Exit code after SIGTERM (128 + 15), what ECS and shells expect from a terminated process. */
export const SIGTERM_EXIT_CODE = 143;

/**
 * SIGTERM (ECS stopping the task) and SIGINT stop the run with nothing more published: outside a
 * publish phase the process exits at once (nothing of this run is visible yet); during one, the
 * runtime stops before its next partition (src/run/abort.ts). A second signal exits at once.
 */
export function installShutdownHandler(exit: (code: number) => never = process.exit): void {
  const onSignal = (sig: NodeJS.Signals) => {
    const again = shutdownRequested();
    requestShutdown(sig);
    if (!again && isPublishing()) {
      process.stderr.write(`${sig} received while publishing: stopping before the next partition\n`);
      return;
    }
    process.stderr.write(`error: ${shutdownMessage(sig, publishedCount())}\n`);
    exit(sig === 'SIGTERM' ? SIGTERM_EXIT_CODE : 130);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Where a command's log goes when it is not the default logger: src/cli/terminal.ts (pipeline, demo). */
export interface RunLog {
  logger(config: Config): Logger;
  attach(store: ObjectStore): void;
  close(): Promise<void>;
}

export async function withServices<T>(fn: (services: Services, config: Config, log: Logger) => Promise<T>, runLog?: RunLog): Promise<T> {
  const config = loadConfig();
  const log = runLog ? runLog.logger(config) : createLogger(config.logFormat);
  const services = await openServices(config, log);
  runLog?.attach(services.store);
  try {
    return await fn(services, config, log);
  } finally {
    await runLog?.close();
    services.engine.close();
  }
}

/**
 * Runs a CLI body: on failure, one line on stderr and a non-zero exit code. Either way the process
 * exits only after its output drained (src/cli/output.ts).
 */
export function cliMain(body: () => Promise<number | void>): void {
  guardOutput();
  installShutdownHandler();
  body().then(
    (code) => exitAfterFlush(code ?? 0),
    (err) => {
      if (err instanceof HelpShown) return exitAfterFlush(0);
      process.stderr.write(`error: ${oneLine(err)}\n`);
      if (process.env.ACE_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
      return exitAfterFlush(err instanceof ShutdownError ? (err.signal === 'SIGTERM' ? SIGTERM_EXIT_CODE : 130) : exitCodeOf(err));
    },
  );
}
