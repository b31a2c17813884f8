/**
 * fauxqs, an in-memory S3-API server, as a child process on 127.0.0.1 (tests/lake/fauxqs-setup.mjs):
 * the real S3 client and adapter talk to it over HTTP, with no network beyond the loopback.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

const ROOT = path.resolve(__dirname, '../..');

export interface Fauxqs {
  port: number;
  stop(): Promise<void>;
}

/** Starts the server and resolves with its port once it prints FAUXQS_READY. */
export async function startFauxqs(): Promise<Fauxqs> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [path.join(ROOT, 'tests/lake/fauxqs-setup.mjs')], { cwd: ROOT, stdio: 'pipe' });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`fauxqs did not start in 120 s: ${err}`)), 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /FAUXQS_READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fauxqs exited with ${code}: ${err}`));
    });
  });
  return { port, stop };
}

/** An S3 client for the server, with the emulator's fixed test credentials (nothing read from the host). */
export function fauxqsClient(port: number): S3Client {
  return new S3Client({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}
