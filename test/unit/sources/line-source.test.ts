import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/sources/input-error.js';
import { readLines, type SourceLine } from '../../../src/sources/line-source.js';

async function collect(content: string | Buffer, name = 'in.ndjson', maxLineLength = 1000): Promise<SourceLine[]> {
  const dir = await mkdtemp(join(tmpdir(), 'meshwarden-src-'));
  const file = join(dir, name);
  await writeFile(file, content);
  const out: SourceLine[] = [];
  for await (const line of readLines(file, { maxLineLength })) out.push(line);
  return out;
}

describe('readLines', () => {
  it('splits on newlines, strips CR, skips blank lines and keeps line numbers', async () => {
    const lines = await collect('a\r\n\nb\nc');
    expect(lines.map((l) => [l.text, l.position])).toEqual([['a', 1], ['b', 3], ['c', 4]]);
  });

  it('keeps only the beginning of an over-long line and flags it, then carries on', async () => {
    const lines = await collect(`${'x'.repeat(5000)}\nok\n`, 'in.ndjson', 100);
    expect(lines[0]).toMatchObject({ truncated: true, length: 5000, position: 1 });
    expect(lines[0]?.text.length).toBe(101);
    expect(lines[1]).toMatchObject({ text: 'ok', truncated: false, position: 2 });
  });

  it('turns a truncated gzip file into an InputError naming the file and how far it got', async () => {
    const whole = gzipSync(Array.from({ length: 5000 }, (_, i) => `line-${i}`).join('\n'));
    await expect(collect(whole.subarray(0, whole.length - 100), 'cut.ndjson.gz')).rejects.toThrow(/cut\.ndjson\.gz: gzip data ends early \(truncated file\) \(after \d+ byte\(s\), \d+ complete line\(s\)\)/);
    await expect(collect('plain text\n', 'plain.gz')).rejects.toBeInstanceOf(InputError);
  });

  it('reads gzip-compressed recordings', async () => {
    const lines = await collect(gzipSync('one\ntwo\n'), 'in.ndjson.gz');
    expect(lines.map((l) => l.text)).toEqual(['one', 'two']);
  });

  it('handles lines split across read chunks', async () => {
    const long = Array.from({ length: 200_000 }, (_, i) => `line-${i}`).join('\n');
    const lines = await collect(long, 'in.ndjson', 100);
    expect(lines).toHaveLength(200_000);
    expect(lines[199_999]?.text).toBe("line-199999");
    expect(lines.every((l, i) => l.text === `line-${i}`)).toBe(true);
  });
});
