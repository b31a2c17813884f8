/** lineOf (src/ops/rawLine.ts): line numbering as the ingest does it, whatever the chunk boundaries. */
import { Readable } from 'node:stream';
import { lineOf } from '../../src/ops/rawLine';

/** The content cut into chunks of `size` bytes. */
const chunks = (text: string, size: number) => {
  const b = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
};

describe('lineOf', () => {
  const content = 'first\r\nsecond line\n\nfourth\r\nlast without newline';
  test.each([1, 2, 3, 5, 7, 1000])('chunks of %i bytes: lines 1-5 as split on \\n, a CRLF line end dropped', async (size) => {
    const got = async (n: number) => (await lineOf(Readable.from(chunks(content, size)), n))?.toString('utf8') ?? null;
    expect(await got(1)).toBe('first');
    expect(await got(2)).toBe('second line');
    expect(await got(3)).toBe('');
    expect(await got(4)).toBe('fourth');
    expect(await got(5)).toBe('last without newline');
    expect(await got(6)).toBeNull();
  });

  test('a file ending in \\n has no empty line after it', async () => {
    expect(await lineOf(Readable.from([Buffer.from('a\nb\n')]), 2)).toEqual(Buffer.from('b'));
    expect(await lineOf(Readable.from([Buffer.from('a\nb\n')]), 3)).toBeNull();
  });

  test('a \\r inside a line is kept; only the one before \\n goes', async () => {
    expect((await lineOf(Readable.from([Buffer.from('x\ry\r\r\n')]), 1))?.toString('utf8')).toBe('x\ry\r');
  });
});
