/**
 * Fallback peak-RSS wrapper when /usr/bin/time is missing: runs a script in this process and, on exit,
 * writes process.resourceUsage().maxRSS (KiB, from getrusage) and the CPU seconds (user + system) to $BENCH_RSS_FILE.
 * Usage: node --import tsx bench/rss.ts <script> [args…]
 */
import fs from 'node:fs';
import path from 'node:path';

const [script, ...rest] = process.argv.slice(2);
process.on('exit', () => {
  const u = process.resourceUsage();
  if (process.env.BENCH_RSS_FILE) fs.writeFileSync(process.env.BENCH_RSS_FILE, `${u.maxRSS} ${(u.userCPUTime + u.systemCPUTime) / 1e6}`);
});
process.argv = [process.argv[0], path.resolve(script), ...rest];
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.resolve(script));
