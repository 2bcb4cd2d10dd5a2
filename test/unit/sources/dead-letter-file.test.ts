import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeadLetterFile } from '../../../src/sources/dead-letter-file.js';

describe('DeadLetterFile', () => {
  it('asks for a flush once its buffer passes its size, and writes one JSON line per letter', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-dlf-'));
    const file = new DeadLetterFile(join(dir, 'dl.ndjson'), () => 0, 1000);
    const letter = { code: 'unknown-shape', reason: 'r', origin: { source: 's', position: 1 }, raw: 'y'.repeat(300), rawBytes: 300, rawSha256: 'ab', rawTruncated: false };
    file.add(letter);
    expect(file.full).toBe(false);
    file.add(letter);
    file.add(letter);
    expect(file.full).toBe(true);
    await file.flush();
    expect(file.full).toBe(false);
    const lines = (await readFile(join(dir, 'dl.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ at: '1970-01-01T00:00:00.000Z', code: 'unknown-shape', reason: 'r', source: 's', position: 1, raw: letter.raw, rawBytes: 300, rawSha256: 'ab' });
    expect(file.counts()).toEqual({ 'unknown-shape': 3 });
  });
});
