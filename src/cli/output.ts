/**
 * The one way the CLIs print results and end. stdout to a pipe is asynchronous: text a slow reader
 * has not taken yet waits in this process, so exiting right after a write loses it (`| wc -l` saw
 * 64 KiB). A reader that goes away early (`| head -1`) is not an error of the command.
 */

let readerGone = false;
let outputFailed = false;

function quietOnBrokenPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // EPIPE: the reader closed; the rest of the output has nowhere to go. Anything else is a real
    // failure of our output, which the exit code must show.
    if (err.code === 'EPIPE') {
      if (stream === process.stdout) readerGone = true;
      return;
    }
    outputFailed = true;
  });
}

let installed = false;

/** Once per process: a closed reader on stdout or stderr ends the output quietly, with no stack. */
export function guardOutput(): void {
  if (installed) return;
  installed = true;
  quietOnBrokenPipe(process.stdout);
  quietOnBrokenPipe(process.stderr);
}

/** Writes to stdout (nothing once the reader has gone). cliMain waits for it to drain before exiting. */
export function print(text: string): void {
  if (!readerGone) process.stdout.write(text);
}

function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  // Writes complete in order, so an empty write's callback runs once everything before it was handed to the OS.
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Resolves when everything written to stdout and stderr so far has left the process (or its reader is gone). */
export async function flushOutput(): Promise<void> {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
}

/**
 * Flushes stdout and stderr, then exits with the code (1 if the output itself failed). The exit stays
 * explicit so that an idle socket or timer cannot keep a finished command alive.
 */
export async function exitAfterFlush(code: number): Promise<never> {
  await flushOutput();
  process.exit(code === 0 && outputFailed ? 1 : code);
}
