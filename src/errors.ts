/**
 * One base error with a stable `code`, the context it happened in (job, date, path…) and a cause.
 * Messages say what happened, where, and what to do next; the CLI prints `message` as one line.
 */

export type ErrorCode =
  | 'usage'
  | 'config'
  | 'missing_input'
  | 'bad_input'
  | 'not_ready'
  | 'catalog'
  | 'warehouse'
  | 'storage'
  | 'superseded'
  | 'reconciliation'
  | 'internal';

export interface ErrorContext {
  job?: string;
  date?: string;
  month?: string;
  path?: string;
  [key: string]: unknown;
}

export class AceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Wrong command-line usage: unknown job, malformed or impossible date. */
export class UsageError extends AceError {
  constructor(message: string, context: ErrorContext = {}) {
    super('usage', message, context);
  }
}

/** An environment setting that cannot be used as given. */
export class ConfigError extends AceError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('config', message, context, options);
  }
}

/** Upstream partitions a job needs are not there. */
export class MissingInputError extends AceError {
  constructor(message: string, context: ErrorContext = {}) {
    super('missing_input', message, context);
  }
}

/** Input that cannot be accepted: rejects over the threshold, an unreadable file, a duplicate key. */
export class BadInputError extends AceError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('bad_input', message, context, options);
  }
}

/** The request is valid but its period is not ready (a month not complete). */
export class NotReadyError extends AceError {
  constructor(message: string, context: ErrorContext = {}) {
    super('not_ready', message, context);
  }
}

export class StorageError extends AceError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('storage', message, context, options);
  }
}

export class CatalogError extends AceError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('catalog', message, context, options);
  }
}

export class WarehouseError extends AceError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('warehouse', message, context, options);
  }
}

/** Another run of the same job and partition published after this one started. */
export class SupersededError extends AceError {
  constructor(message: string, context: ErrorContext = {}) {
    super('superseded', message, context);
  }
}

export class ReconciliationError extends AceError {
  constructor(message: string, context: ErrorContext = {}) {
    super('reconciliation', message, context);
  }
}

/** Exit codes by error kind: 2 for usage, 3 for configuration, 4 for data problems, 1 otherwise. */
export function exitCodeOf(err: unknown): number {
  if (!(err instanceof AceError)) return 1;
  switch (err.code) {
    case 'usage':
      return 2;
    case 'config':
      return 3;
    case 'missing_input':
    case 'bad_input':
    case 'not_ready':
    case 'reconciliation':
      return 4;
    case 'superseded':
      return 5;
    case 'catalog':
    case 'warehouse':
    case 'storage':
    case 'internal':
      return 1;
    default: {
      const never: never = err.code;
      throw new Error(`unknown error code ${String(never)}`);
    }
  }
}

/** One line for stderr: the message, prefixed by the job and period when they are known. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const flat = msg.replace(/\s*\n\s*/g, ' ').trim();
  if (err instanceof AceError) {
    const where = [err.context.job, err.context.date ?? err.context.month].filter(Boolean).join(' ');
    if (where && !flat.startsWith(where)) return `${where}: ${flat}`;
  }
  return flat;
}
