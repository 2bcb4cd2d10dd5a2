import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import { builtInAlgorithm } from '../../../../src/detect/stats/built-in-algorithms.js';

function noise(i: number): number {
  return Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 78.233) * 0.5;
}

const members = [{ type: 'robust-zscore', direction: 'up' }, { type: 'robust-zscore', direction: 'down' }];

describe('ensemble', () => {
  it('with max, scores what its most surprised member scores', () => {
    const up = createScorer(algorithmSchema.parse(members[0]));
    const both = createScorer(algorithmSchema.parse({ type: 'ensemble', members }));
    let last = { a: 0, b: 0 };
    for (let i = 0; i < 200; i++) last = { a: up.update(10 + noise(i), i).score, b: both.update(10 + noise(i), i).score };
    expect(last.b).toBeGreaterThanOrEqual(last.a);
    expect(both.update(20, 200).score).toBe(up.update(20, 200).score);
  });

  it('with noisy-or, scores at least as high as max', () => {
    const max = createScorer(algorithmSchema.parse({ type: 'ensemble', members }));
    const or = createScorer(algorithmSchema.parse({ type: 'ensemble', combine: 'noisy-or', members }));
    for (let i = 0; i < 200; i++) {
      const m = max.update(10 + noise(i), i).score;
      expect(or.update(10 + noise(i), i).score).toBeGreaterThanOrEqual(m - 1e-12);
    }
  });

  it('with a holdoff, damps an alarm that follows a stronger one', () => {
    const config = { type: 'ensemble', members: [{ type: 'robust-zscore' }] };
    const plain = createScorer(algorithmSchema.parse(config));
    const held = createScorer(algorithmSchema.parse({ ...config, holdoff: { halfLife: 50 } }));
    const values = Array.from({ length: 200 }, (_, i) => 10 + noise(i));
    values.push(40, 10, 10, 30);
    const p = values.map((v, i) => plain.update(v, i).score);
    const h = values.map((v, i) => held.update(v, i).score);
    expect(h[200]).toBe(p[200]);
    expect(h[203]).toBeLessThan(p[203] ?? 0);
  });

  it('rejects an ensemble without members', () => {
    expect(algorithmSchema.safeParse({ type: 'ensemble', members: [] }).success).toBe(false);
  });

  it('rejects an invalid member, pointing at it', () => {
    const result = algorithmSchema.safeParse({ type: 'ensemble', members: [{ type: 'ewma', halfLfe: 3 }] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['members', 0]);
  });

  it('restores members, calibrators and holdoff from one snapshot', () => {
    const config = builtInAlgorithm('meshwarden');
    if (config === undefined) throw new Error('meshwarden preset missing');
    const a = createScorer(config);
    for (let i = 0; i < 500; i++) a.update(100 + 10 * Math.sin(i / 20) + noise(i), i * 300_000);
    const b = restoreScorer(config, JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<typeof a.snapshot>);
    for (let i = 500; i < 520; i++) {
      const v = 100 + 10 * Math.sin(i / 20) + noise(i);
      expect(b.update(v, i * 300_000)).toEqual(a.update(v, i * 300_000));
    }
  });
});

describe('ensemble readiness', () => {
  it('is not ready until a calibrated member has seen its calibration warm-up', () => {
    const scorer = createScorer(
      algorithmSchema.parse({
        type: 'ensemble',
        members: [{ type: 'ewma', warmup: 10 }],
        calibration: { warmup: 20 },
      }),
    );
    const ready = Array.from({ length: 40 }, (_, i) => scorer.update(10 + noise(i), i).ready);
    expect(ready.indexOf(true)).toBe(30);
  });
});
