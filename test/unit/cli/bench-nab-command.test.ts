import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { benchNabCommand, resolveDetector } from '../../../src/cli/bench-nab-command.js';
import { captureStdout, writeNabCorpus } from './nab-fixture.js';

describe('meshwarden bench nab', () => {
  let root: string;
  let output: string[];

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'bench-nab-'));
    await writeNabCorpus(root, [{ file: 'cat/spike.csv' }]);
    output = captureStdout();
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(root, { recursive: true, force: true });
  });

  it('prints the three normalised profile scores and writes them to final_results.json', async () => {
    const out = path.join(root, 'results');
    await benchNabCommand().parseAsync(['--data', root, '--detector', 'robust-zscore', '--out', out], { from: 'user' });
    const text = output.join('');
    // The spike opens the labelled window, the earliest possible detection: a perfect score.
    expect(text).toMatch(/standard\s+100\.0/);
    expect(text).toMatch(/reward_low_FP_rate/);
    expect(text).toMatch(/reward_low_FN_rate/);
    const final = JSON.parse(await readFile(path.join(out, 'final_results.json'), 'utf8')) as Record<string, unknown>;
    expect(final['robust-zscore']).toMatchObject({ standard: 100 });
    const csv = await readFile(path.join(out, 'robust-zscore', 'cat', 'robust-zscore_spike.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('timestamp,value,anomaly_score,label');
  });

  it('keeps the results of other detectors in final_results.json', async () => {
    const out = path.join(root, 'results');
    await benchNabCommand().parseAsync(['--data', root, '--detector', 'ewma', '--out', out], { from: 'user' });
    await benchNabCommand().parseAsync(['--data', root, '--detector', 'cusum', '--out', out], { from: 'user' });
    const final = JSON.parse(await readFile(path.join(out, 'final_results.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(final).sort()).toEqual(['cusum', 'ewma']);
  });
});

describe('resolveDetector', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'detector-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads an algorithm YAML file and names the detector after it', async () => {
    const file = path.join(dir, 'my_detector.yaml');
    await writeFile(file, 'type: ensemble\nmembers:\n  - type: ewma\n  - type: range\n');
    const { config, label } = await resolveDetector(file);
    expect(config.type).toBe('ensemble');
    expect(label).toBe('my_detector');
  });

  it('accepts an inline mapping', async () => {
    const { config, label } = await resolveDetector('{type: ewma, halfLife: 50}');
    expect(config).toMatchObject({ type: 'ewma', halfLife: 50 });
    expect(label).toBe('ewma');
  });

  it('reports every schema problem of an invalid file with its path', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'type: cusum\nk: -1\nhh: 3\n');
    await expect(resolveDetector(file)).rejects.toThrow(/k[\s\S]*hh|hh[\s\S]*k/);
  });

  it('rejects a name that is neither a file nor a built-in', async () => {
    await expect(resolveDetector('no-such-detector')).rejects.toMatchObject({ code: 'detector-file-invalid' });
  });
});
