// Starts the fauxqs S3-API emulator on 127.0.0.1 (never 0.0.0.0) on a free port, for the contract test.
// Run as a child process: fauxqs is ESM-only and jest here runs tests as CommonJS.
// Prints one line `FAUXQS_READY <port>` on stdout once listening; exits when stdin closes or on SIGTERM.
import { buildApp } from 'fauxqs';

const app = buildApp({ logger: false, host: '127.0.0.1' });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
const port = new URL(address).port;
process.stdout.write(`FAUXQS_READY ${port}\n`);

const stop = async () => {
  try {
    await app.close();
  } finally {
    process.exit(0);
  }
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
