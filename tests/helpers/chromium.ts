/**
 * Opens a local HTML file in Debian's headless chromium, driven over the Chrome DevTools protocol on
 * `--remote-debugging-pipe` (fd 3: commands in, fd 4: replies and events out, each message ending in NUL):
 * collects every console message, uncaught exception and browser log entry (a failed resource load is
 * one), evaluates expressions in the page once it has loaded, and takes a full-page screenshot.
 * No npm dependency: the protocol is JSON over two pipes. A missing chromium fails, naming the fix.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

/** The chromium binary: CHROMIUM_BIN, or `chromium` on PATH (Debian's package; .ci/run installs it). */
export function chromiumBinary(): string {
  const candidates = [process.env.CHROMIUM_BIN, 'chromium', 'chromium-browser'].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync('bash', ['-c', `command -v ${JSON.stringify(c)}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  throw new Error('chromium is not installed: the report test opens the page in a real browser. Install it with `apt-get install -y chromium` (as root; .ci/run does this), or set CHROMIUM_BIN');
}

export interface BrowserProblem {
  kind: 'console' | 'exception' | 'log';
  level: string;
  text: string;
}

export interface PageVisit<T> {
  /** Every console call, uncaught exception, and browser log entry of level warning or error. */
  problems: BrowserProblem[];
  /** What `evaluate` returned, computed in the loaded page. */
  value: T;
  /** Full-page PNG. */
  screenshot: Buffer;
}

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

/**
 * Loads `file`, waits for its load event, runs `expression` (a JS expression whose value is JSON) in it,
 * and takes a screenshot `width` pixels wide covering the whole page.
 */
export async function visitPage<T>(file: string, expression: string, width = 1200): Promise<PageVisit<T>> {
  const bin = chromiumBinary();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-chromium-'));
  const child = spawn(
    bin,
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-dev-shm-usage', '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'],
    // Its own process group, so the browser and every helper process it started end together.
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
  );
  const gone = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;

  let nextId = 1;
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let buffered = '';
  let exited: Error | null = null;
  fromBrowser.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let i = buffered.indexOf('\0'); i !== -1; i = buffered.indexOf('\0')) {
      const msg = JSON.parse(buffered.slice(0, i)) as Message;
      buffered = buffered.slice(i + 1);
      if (msg.id !== undefined && pending.has(msg.id)) {
        const p = pending.get(msg.id)!;
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`chromium: ${msg.error.message}`));
        else p.resolve(msg);
      } else listeners.forEach((l) => l(msg));
    }
  });
  child.on('exit', (code) => {
    exited = new Error(`chromium exited (${code}) before the page was read: ${stderr.slice(-2000)}`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Message> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(exited);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });

  const problems: BrowserProblem[] = [];
  try {
    const { result: created } = await send('Target.createTarget', { url: 'about:blank' });
    const { result: attached } = await send('Target.attachToTarget', { targetId: created!.targetId, flatten: true });
    const session = String(attached!.sessionId);
    let loaded: () => void = () => undefined;
    const load = new Promise<void>((resolve) => (loaded = resolve));
    listeners.push((m) => {
      if (m.sessionId !== session || !m.method) return;
      const p = m.params ?? {};
      if (m.method === 'Runtime.consoleAPICalled') {
        const args = (p.args as { value?: unknown; description?: string }[]) ?? [];
        problems.push({ kind: 'console', level: String(p.type), text: args.map((a) => String(a.value ?? a.description ?? '')).join(' ') });
      } else if (m.method === 'Runtime.exceptionThrown') {
        const d = p.exceptionDetails as { text?: string; exception?: { description?: string } };
        problems.push({ kind: 'exception', level: 'error', text: `${d.text ?? ''} ${d.exception?.description ?? ''}`.trim() });
      } else if (m.method === 'Log.entryAdded') {
        const e = p.entry as { level: string; text: string; url?: string };
        if (e.level === 'error' || e.level === 'warning') problems.push({ kind: 'log', level: e.level, text: `${e.text}${e.url ? ` (${e.url})` : ''}` });
      } else if (m.method === 'Page.loadEventFired') loaded();
    });
    await send('Runtime.enable', {}, session);
    await send('Log.enable', {}, session);
    await send('Page.enable', {}, session);
    await send('Emulation.setDeviceMetricsOverride', { width, height: 800, deviceScaleFactor: 1, mobile: false }, session);
    const nav = await send('Page.navigate', { url: pathToFileURL(path.resolve(file)).href }, session);
    if (nav.result?.errorText) throw new Error(`chromium could not open ${file}: ${String(nav.result.errorText)}`);
    await load;
    const evaluated = await send('Runtime.evaluate', { expression: `JSON.stringify(${expression})`, returnByValue: true }, session);
    if (evaluated.result?.exceptionDetails) throw new Error(`evaluating in the page failed: ${JSON.stringify(evaluated.result.exceptionDetails)}`);
    const value = JSON.parse(String((evaluated.result!.result as { value: string }).value)) as T;
    const metrics = await send('Page.getLayoutMetrics', {}, session);
    const height = Math.ceil(Number((metrics.result!.cssContentSize as { height: number }).height));
    await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, session);
    const shot = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, session);
    const screenshot = Buffer.from(String(shot.result!.data), 'base64');
    await send('Browser.close').catch(() => undefined);
    return { problems, value, screenshot };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await gone;
    try {
      process.kill(-child.pid!, 'SIGKILL'); // helpers left in the group
    } catch {
      // none left
    }
    // Cleaning the profile is housekeeping, not part of any check: a helper still closing a file in it
    // must not fail the test (the folder is under the OS temp folder).
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      // left for the OS to clean
    }
  }
}
