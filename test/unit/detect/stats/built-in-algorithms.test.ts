import { describe, expect, it } from 'vitest';
import { createScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import { builtInAlgorithm, builtInAlgorithms } from '../../../../src/detect/stats/built-in-algorithms.js';

function noise(i: number): number {
  return Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 78.233) * 0.5;
}

/**
 * Scores of a preset on a quiet series with a spike every 100 rows from row 1000, which turns into
 * a spike every 4 rows at row 3000 (the shape of NAB's `art_increase_spike_density`).
 */
function spikeDensityScores(name: string): number[] {
  const config = builtInAlgorithm(name);
  if (config === undefined) throw new Error(`${name} preset missing`);
  const scorer = createScorer(config);
  return Array.from({ length: 3100 }, (_, i) => {
    const spike = i >= 1000 && i % (i < 3000 ? 100 : 4) === 0;
    return scorer.update(spike ? 60 : 20 + noise(i), i * 300_000).score;
  });
}

/** A daily rhythm (5-minute rows) that goes flat at its mean for half a day from row 2500. */
function flatMiddleScores(name: string): number[] {
  const config = builtInAlgorithm(name);
  if (config === undefined) throw new Error(`${name} preset missing`);
  const scorer = createScorer(config);
  return Array.from({ length: 2800 }, (_, i) => {
    const flat = i >= 2500 && i < 2644;
    return scorer.update(flat ? 50 : 50 + 30 * Math.sin((2 * Math.PI * i) / 288) + noise(i), i * 300_000).score;
  });
}

const peak = (scores: readonly number[], from: number, to: number): number => Math.max(...scores.slice(from, to));

describe('built-in presets', () => {
  it('every built-in name is a valid algorithm', () => {
    for (const name of Object.keys(builtInAlgorithms)) expect(builtInAlgorithm(name)).toBeDefined();
  });

  it('meshwarden-novelty is meshwarden with a shape member added, nothing else changed', () => {
    const novelty = builtInAlgorithm('meshwarden-novelty');
    const level = builtInAlgorithm('meshwarden');
    if (novelty?.type !== 'ensemble' || level?.type !== 'ensemble') throw new Error('presets must be ensembles');
    const { members: noveltyMembers, ...noveltyOptions } = novelty;
    const { members: levelMembers, ...levelOptions } = level;
    expect(noveltyOptions).toEqual(levelOptions);
    expect(noveltyMembers.slice(0, levelMembers.length)).toEqual(levelMembers);
    expect(noveltyMembers.slice(levelMembers.length).map((m) => m.type)).toEqual(['pattern-novelty']);
  });

  it('meshwarden-novelty flags a flat stretch in a daily rhythm far above anything before it', () => {
    const scores = flatMiddleScores('meshwarden-novelty');
    expect(peak(scores, 1000, 2500)).toBeLessThan(0.5);
    expect(peak(scores, 2500, 2644)).toBeGreaterThan(0.9);
  });

  it('meshwarden-novelty flags a spike train turning denser', () => {
    const scores = spikeDensityScores('meshwarden-novelty');
    expect(peak(scores, 3000, 3100)).toBeGreaterThan(0.5);
  });

  it('meshwarden-recurrence is meshwarden-novelty with recurrence added, nothing else changed', () => {
    const recurrence = builtInAlgorithm('meshwarden-recurrence');
    const novelty = builtInAlgorithm('meshwarden-novelty');
    if (recurrence?.type !== 'ensemble' || novelty?.type !== 'ensemble') throw new Error('presets must be ensembles');
    const { recurrence: added, ...rest } = recurrence;
    expect(rest).toEqual(novelty);
    expect(added).toEqual({ buckets: 48, reach: 1, halfLife: 7, damping: 0.5 });
  });

  it('meshwarden-recurrence still flags what meshwarden-novelty flags, well above anything before it', () => {
    const flat = flatMiddleScores('meshwarden-recurrence');
    expect(peak(flat, 1000, 2500)).toBeLessThan(0.5);
    expect(peak(flat, 2500, 2644)).toBeGreaterThan(0.8);
    expect(peak(spikeDensityScores('meshwarden-recurrence'), 3000, 3100)).toBeGreaterThan(0.5);
  });

  it('meshwarden-recurrence scores a nightly spike lower than meshwarden-novelty after a week of them', () => {
    const nightly = (name: string): number[] => {
      const config = builtInAlgorithm(name);
      if (config === undefined) throw new Error(`${name} preset missing`);
      const scorer = createScorer(config);
      // 5-minute rows; a spike at 03:20 every night.
      return Array.from({ length: 288 * 10 }, (_, i) =>
        scorer.update(i % 288 === 40 ? 1.4 : 0.1 + 0.03 * noise(i), i * 300_000).score,
      );
    };
    const plain = nightly('meshwarden-novelty');
    const aware = nightly('meshwarden-recurrence');
    const lastNight = 288 * 9 + 40;
    expect(plain[lastNight]).toBeGreaterThan(0.8);
    expect(aware[lastNight]).toBeLessThan((plain[lastNight] ?? 0) - 0.05);
  });
});
