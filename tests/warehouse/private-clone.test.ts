/**
 * `npm test` passes wherever a user clones (issue 13, point 15): a clone inside a folder only its owner
 * can enter (mode 0700, like /root) runs the PostgreSQL warehouse tests. As root, the test server runs
 * as the `postgres` user, which cannot enter such a folder: tests/helpers/pg-server.mjs then runs the
 * binaries from a root-owned copy under the temp folder. The clone is the working tree's files
 * (tracked and new, so uncommitted edits count) with node_modules hard-linked; it runs
 * tests/warehouse/postgres.test.ts with the same jest.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');

test('the PostgreSQL tests pass from a clone inside a 0700 folder', () => {
  const priv = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-priv-'));
  try {
    fs.chmodSync(priv, 0o700);
    const clone = path.join(priv, 'repo');
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f && fs.existsSync(path.join(REPO, f)));
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
      fs.copyFileSync(path.join(REPO, f), path.join(clone, f));
    }
    // Hard links: fast, and the server binaries really live inside the private folder.
    execFileSync('cp', ['-al', path.join(REPO, 'node_modules'), path.join(clone, 'node_modules')]);

    const r = spawnSync(process.execPath, [path.join(clone, 'node_modules/jest/bin/jest.js'), '--ci', 'tests/warehouse/postgres.test.ts'], {
      cwd: clone,
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC', CI: 'true' },
      // A safety net only (about 30 s idle, 70 s on a busy machine): nothing asserts on time.
      timeout: 900_000,
    });
    const report = `${r.stdout}\n${r.stderr}`.slice(-4000);
    expect({ status: r.status, report }).toEqual({ status: 0, report: expect.stringMatching(/Tests:\s+\d+ passed, \d+ total/) });
    expect(report).not.toMatch(/EACCES/);
  } finally {
    fs.rmSync(priv, { recursive: true, force: true });
  }
});
