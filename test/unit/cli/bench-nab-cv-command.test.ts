import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { benchNabCvCommand } from '../../../src/cli/bench-nab-cv-command.js';
import { captureStdout, writeNabCorpus } from './nab-fixture.js';

describe('meshwarden bench nab-cv', () => {
  let root: string;
  let output: string[];

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'bench-nab-cv-'));
    await writeNabCorpus(root, [{ file: 'one/series.csv' }, { file: 'two/series.csv' }, { file: 'quiet/series.csv', quiet: true }]);
    output = captureStdout();
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(root, { recursive: true, force: true });
  });

  it('prints one line per held-out category with the chosen setting, then the mean and pooled scores', async () => {
    const grid = path.join(root, 'grid.yaml');
    await writeFile(grid, 'base: {type: robust-zscore, warmup: 5}\ngrid:\n  zAlarm: [4, 8]\n');
    const out = path.join(root, 'cv', 'result.json');
    await benchNabCvCommand().parseAsync(['--data', root, '--grid', grid, '--out', out], { from: 'user' });
    const text = output.join('');
    expect(text).toMatch(/2 setting\(s\), 3 files, 3 folds/);
    expect(text).toMatch(/^\s+one\s+1\s+1\s.*zAlarm=4$/m);
    expect(text).toMatch(/^\s+quiet\s+1\s+0\s.*n\/a.*no windows/m);
    expect(text).toMatch(/mean over folds/);
    expect(text).toMatch(/pooled held-out/);
    const document = JSON.parse(await readFile(out, 'utf8')) as { settings: unknown[]; folds: unknown[] };
    expect(document.settings).toHaveLength(2);
    expect(document.folds).toHaveLength(3);
  });

  it('takes a single detector or a built-in grid, and exactly one of the two', async () => {
    await benchNabCvCommand().parseAsync(['--data', root, '--detector', 'ewma'], { from: 'user' });
    expect(output.join('')).toMatch(/1 setting\(s\)/);
    await expect(benchNabCvCommand().parseAsync(['--data', root], { from: 'user' })).rejects.toThrow(/exactly one/);
    await expect(
      benchNabCvCommand().parseAsync(['--data', root, '--grid', 'no-such-grid'], { from: 'user' }),
    ).rejects.toThrow(/built-in grid/);
  });
});
