import { mkdtemp, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadNabCorpus, parseNabTimestamp } from '../../../../src/bench/nab/nab-corpus.js';
import { nabDetectorName, runNab } from '../../../../src/bench/nab/nab-runner.js';
import { algorithmSchema } from '../../../../src/detect/stats/algorithm-registry.js';

const config = algorithmSchema.parse({ type: 'robust-zscore', warmup: 5 });

function series(rows: number, spikeAt: number): string {
  const lines = ['timestamp,value'];
  for (let i = 0; i < rows; i++) {
    const t = new Date(Date.UTC(2014, 3, 1, 0, i * 5)).toISOString().replace('T', ' ').slice(0, 19);
    lines.push(`${t},${i === spikeAt ? 100 : 10 + Math.sin(i)}`);
  }
  return `${lines.join('\n')}\n`;
}

function stamp(i: number): string {
  return `${new Date(Date.UTC(2014, 3, 1, 0, i * 5)).toISOString().replace('T', ' ').slice(0, 19)}.000000`;
}

describe('runNab', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'nab-'));
    await mkdir(path.join(root, 'data', 'cat'), { recursive: true });
    await mkdir(path.join(root, 'labels'));
    await writeFile(path.join(root, 'data', 'cat', 'a.csv'), series(100, 60));
    await writeFile(path.join(root, 'data', 'cat', 'b.csv'), series(100, 60));
    const labels = { 'cat/a.csv': [[stamp(55), stamp(64)]], 'cat/b.csv': [[stamp(55), stamp(64)]] };
    await writeFile(path.join(root, 'labels', 'combined_windows.json'), JSON.stringify(labels));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes one NAB result file per data file, rows in order, with labels', async () => {
    const corpus = await loadNabCorpus(root);
    await runNab(corpus, { detector: 'mw', config, resultsDir: path.join(root, 'results') });
    const text = await readFile(path.join(root, 'results', 'mw', 'cat', 'mw_a.csv'), 'utf8');
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score,label');
    expect(lines).toHaveLength(101);
    expect(lines[1]).toMatch(/^2014-04-01 00:00:00,10,0,0$/);
    expect(lines[61]?.split(',')[3]).toBe('1');
    expect(lines[70]?.split(',')[3]).toBe('0');
  });

  it('starts every file from scratch: identical files get identical scores', async () => {
    const run = await runNab(await loadNabCorpus(root), { detector: 'mw', config });
    expect(run.files[0]?.scores).toEqual(run.files[1]?.scores);
  });

  it('never looks ahead: a row scores the same whether or not later rows exist', async () => {
    const full = await runNab(await loadNabCorpus(root), { detector: 'mw', config });
    await writeFile(path.join(root, 'data', 'cat', 'a.csv'), series(70, 60));
    const cut = await runNab(await loadNabCorpus(root), { detector: 'mw', config });
    expect(cut.files[0]?.scores).toEqual(full.files[0]?.scores.slice(0, 70));
  });

  it('detects the spike and scores the corpus', async () => {
    const run = await runNab(await loadNabCorpus(root), { detector: 'mw', config });
    expect(run.result.windows).toBe(2);
    expect(run.result.standard.tp).toBeGreaterThan(0);
    expect(run.result.standard.normalised).toBeGreaterThan(50);
  });
});

describe('nabDetectorName', () => {
  it('replaces underscores, which NAB uses to split result file names', () => {
    expect(nabDetectorName('robust_zscore v2')).toBe('robust-zscore-v2');
  });
});

describe('parseNabTimestamp', () => {
  it('reads data and label timestamps as the same UTC instant', () => {
    expect(parseNabTimestamp('2014-04-10 07:15:00')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('yesterday')).toBeNaN();
  });
});
