/** Reading AWS SDK v3 errors without depending on each service's exception classes. */

/** The service's error name (`EntityNotFoundException`, `AccessDeniedException`…), or ''. */
export function awsErrorName(err: unknown): string {
  const e = err as { name?: string; Code?: string; code?: string } | null;
  return e?.name || e?.Code || e?.code || '';
}

/** `Name: message` of an SDK error, for one-line messages. */
export function awsMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const name = awsErrorName(err);
  const msg = err.message || '';
  if (!name || name === 'Error' || msg.startsWith(name)) return msg || name;
  return msg ? `${name}: ${msg}` : name;
}

/** A hint for the errors an operator can fix (missing permission, throttling). */
export function awsHint(err: unknown): string {
  const name = awsErrorName(err);
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation') {
    return ' (the task role lacks this permission: see docs/aws.md, "IAM")';
  }
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException') return ' (throttled: rerun later)';
  return '';
}
