/**
 * scanLines (src/run/rawBytes.ts): the exact count behind the byte accounting and the rewrite of
 * files holding `\r`, table-driven, including a `\r\n` split across two read chunks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { scanLines, startsWithCarriageReturns } from '../../src/run/rawBytes';

const MiB = 1024 * 1024;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-rawbytes-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cases: [string, Buffer, Buffer, { lines: number; crlf: number; loneCr: number; endsWithNewline: boolean }][] = [
  ['LF', Buffer.from('a\nb\n'), Buffer.from('a\nb\n'), { lines: 2, crlf: 0, loneCr: 0, endsWithNewline: true }],
  ['CRLF and a lone CR', Buffer.from('a\r\nb\nc\rd\n'), Buffer.from('a\nb\nc\xffd\n', 'latin1'), { lines: 3, crlf: 1, loneCr: 1, endsWithNewline: true }],
  ['a CR at the very end ends no line', Buffer.from('x\r'), Buffer.from('x\xff', 'latin1'), { lines: 1, crlf: 0, loneCr: 1, endsWithNewline: false }],
  ['blank CRLF lines', Buffer.from('\r\n\r\n'), Buffer.from('\n\n'), { lines: 2, crlf: 2, loneCr: 0, endsWithNewline: true }],
  ['empty', Buffer.alloc(0), Buffer.alloc(0), { lines: 0, crlf: 0, loneCr: 0, endsWithNewline: false }],
  ['\\r\\n across the 1 MiB read chunk', Buffer.concat([Buffer.alloc(MiB - 1, 'a'), Buffer.from('\r\nb\r\n')]), Buffer.concat([Buffer.alloc(MiB - 1, 'a'), Buffer.from('\nb\n')]), { lines: 2, crlf: 2, loneCr: 0, endsWithNewline: true }],
];

test.each(cases)('%s: counts and rewrite, plain and gzip', async (_name, input, rewritten, expected) => {
  for (const gz of [false, true]) {
    const src = path.join(dir, gz ? 'in.gz' : 'in');
    fs.writeFileSync(src, gz ? zlib.gzipSync(input) : input);
    const out = path.join(dir, 'out');
    const scan = await scanLines(src, gz, { rewriteTo: out });
    expect(scan).toMatchObject({ bytes: input.length, longLine: null, ...expected });
    expect(Buffer.compare(fs.readFileSync(out), rewritten)).toBe(0);
  }
});

test('the first line over 1 MiB is named with its whole length, line end excluded; a damaged gzip throws', async () => {
  const src = path.join(dir, 'long');
  fs.writeFileSync(src, Buffer.concat([Buffer.from('a\r\n'), Buffer.alloc(3 * MiB, 'x'), Buffer.from('\r\nb\n'), Buffer.alloc(2 * MiB, 'y')]));
  expect((await scanLines(src, false, { stopAtLongLine: true })).longLine).toEqual({ line: 2, bytes: 3 * MiB });
  expect((await scanLines(src, false)).longLine).toEqual({ line: 2, bytes: 3 * MiB });
  const cut = zlib.gzipSync(Buffer.alloc(MiB, 'z'));
  fs.writeFileSync(src, cut.subarray(0, cut.length - 8));
  await expect(scanLines(src, true)).rejects.toThrow();
});

test('startsWithCarriageReturns looks at the first 64 KiB of content, compressed or not', async () => {
  const src = path.join(dir, 'head');
  const late = Buffer.concat([Buffer.alloc(70 * 1024, 'a'), Buffer.from('\r\n')]);
  for (const gz of [false, true]) {
    fs.writeFileSync(src, gz ? zlib.gzipSync(late) : late);
    expect(await startsWithCarriageReturns(src, gz)).toBe(false);
    fs.writeFileSync(src, gz ? zlib.gzipSync(Buffer.from('a\r\nb')) : Buffer.from('a\r\nb'));
    expect(await startsWithCarriageReturns(src, gz)).toBe(true);
  }
});
