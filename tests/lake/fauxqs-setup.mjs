// Starts the fauxqs S3-API emulator on 127.0.0.1 (never 0.0.0.0) on a free port, for the contract test.
// Run as a child process: fauxqs is ESM-only and jest here runs tests as CommonJS.
// Prints one line `FAUXQS_READY <port>` on stdout once listening; exits when stdin closes or on SIGTERM.
import { buildApp } from 'fauxqs';

const app = buildApp({ logger: false, host: '127.0.0.1' });

// fauxqs 1.9.2 honours If-Match / If-None-Match on GetObject only: PutObject and DeleteObject ignore them.
// This layer gives conditional PUT and DELETE of an object S3's documented answers, so the ObjectStore
// contract proves the S3 adapter's conditional writes over real HTTP (the headers as sent on the wire):
// If-None-Match: * on an existing key → 412 PreconditionFailed; If-Match on a missing key → 404 NoSuchKey;
// If-Match with another ETag → 412. Conditional requests on one key are served one at a time (S3 answers a
// concurrent loser with 412 or 409). Set FAUXQS_PLAIN=1 to run fauxqs as shipped.
if (process.env.FAUXQS_PLAIN !== '1') {
  const queues = new Map();
  const s3Error = (code, message, resource) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource></Error>`;
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'PUT' && request.method !== 'DELETE') return;
    const ifMatch = request.headers['if-match'];
    const ifNoneMatch = request.headers['if-none-match'];
    const [pathPart, query = ''] = request.url.split('?');
    if ((!ifMatch && !ifNoneMatch) || /(^|&)(uploadId|partNumber)=/.test(query) || pathPart.split('/').length < 3) return;
    const previous = queues.get(pathPart) ?? Promise.resolve();
    let release;
    const mine = new Promise((r) => (release = r));
    queues.set(pathPart, previous.then(() => mine));
    await previous;
    request.releaseCondition = release;
    const head = await app.inject({ method: 'HEAD', url: pathPart });
    const exists = head.statusCode === 200;
    let fail = null;
    if (ifNoneMatch === '*' && exists) fail = [412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'];
    else if (ifMatch && !exists) fail = [404, 'NoSuchKey', 'The specified key does not exist.'];
    else if (ifMatch && ifMatch !== '*' && ifMatch !== head.headers.etag) fail = [412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'];
    if (fail) {
      reply.code(fail[0]).header('content-type', 'application/xml').send(s3Error(fail[1], fail[2], pathPart));
      return reply;
    }
  });
  app.addHook('onResponse', async (request) => request.releaseCondition?.());
  app.addHook('onRequestAbort', async (request) => request.releaseCondition?.());
}
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
