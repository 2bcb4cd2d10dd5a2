import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import { RecurrenceHoldoff, recurrenceSchema } from '../../../../src/detect/stats/recurrence-holdoff.js';
import type { ScorerSnapshot } from '../../../../src/detect/stream-scorer.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (day: number, hour: number, minute = 0): number => day * DAY + hour * HOUR + minute * 60_000;

describe('RecurrenceHoldoff', () => {
  it('keeps a first alarm, damps the same alarm at the same time the next night', () => {
    const holdoff = new RecurrenceHoldoff(recurrenceSchema.parse({}));
    expect(holdoff.apply(4, at(0, 3, 20))).toBe(4);
    expect(holdoff.apply(4, at(1, 3, 25))).toBe(2);
  });

  it('counts a neighbouring stretch as the same time, a distant one not', () => {
    const holdoff = new RecurrenceHoldoff(recurrenceSchema.parse({ buckets: 48, reach: 1 }));
    holdoff.apply(4, at(0, 3, 20));
    // 03:40 is the next half hour: within reach. 15:20 is not.
    expect(holdoff.apply(4, at(1, 3, 40))).toBe(2);
    expect(holdoff.apply(4, at(1, 15, 20))).toBe(4);
  });

  it('lets the excess of a stronger alarm through in full', () => {
    const holdoff = new RecurrenceHoldoff(recurrenceSchema.parse({ damping: 0.5 }));
    holdoff.apply(2, at(0, 3));
    const stronger = holdoff.apply(20, at(1, 3));
    expect(stronger).toBeGreaterThan(17);
    expect(stronger).toBeLessThan(20);
  });

  it('forgets the routine over its half-life', () => {
    const holdoff = new RecurrenceHoldoff(recurrenceSchema.parse({ halfLife: 1 }));
    holdoff.apply(4, at(0, 3));
    expect(holdoff.apply(4, at(30, 3))).toBeGreaterThan(3.99);
  });

  it('leaves surprise untouched, and remembers nothing, for a timestamp it cannot place', () => {
    const holdoff = new RecurrenceHoldoff(recurrenceSchema.parse({}));
    expect(holdoff.apply(4, Number.NaN)).toBe(4);
    expect(holdoff.apply(4, Number.POSITIVE_INFINITY)).toBe(4);
    expect(holdoff.snapshot().peaks.every((p) => p === 0)).toBe(true);
  });

  it('does not let a timestamp from the past make a remembered peak stronger', () => {
    const holdoff = new RecurrenceHoldoff(recurrenceSchema.parse({ halfLife: 1 }));
    holdoff.apply(4, at(10, 3));
    holdoff.apply(0, at(-1000, 3));
    expect(Math.max(...holdoff.snapshot().peaks)).toBe(4);
  });

  it('refuses state of another size or with numbers that are not finite', () => {
    const config = recurrenceSchema.parse({ buckets: 4 });
    const zeros = [0, 0, 0, 0];
    expect(RecurrenceHoldoff.fits(config, { peaks: zeros, times: zeros })).toBe(true);
    expect(RecurrenceHoldoff.fits(config, { peaks: [...zeros, 0], times: [...zeros, 0] })).toBe(false);
    expect(RecurrenceHoldoff.fits(config, { peaks: zeros, times: [0, 0, 0, Number.POSITIVE_INFINITY] })).toBe(false);
  });
});

describe('ensemble with recurrence', () => {
  const members = [{ type: 'ewma', halfLife: 1000, zAlarm: 6 }];
  const base = { type: 'ensemble', calibration: { minSpread: 0.05 }, members };
  /** A quiet series with a spike at 03:20 every night, 5-minute samples, for `days` days. */
  const nightly = (days: number): [number, number][] =>
    Array.from({ length: days * 288 }, (_, i) => {
      const t = i * 300_000;
      const quiet = 0.1 + 0.03 * Math.sin(i * 12.9898);
      return [t % DAY === 3 * HOUR + 20 * 60_000 ? 1.4 : quiet, t];
    });

  it('scores the tenth nightly spike lower than without it, and the first scored one almost the same', () => {
    const plain = createScorer(algorithmSchema.parse(base));
    const aware = createScorer(algorithmSchema.parse({ ...base, recurrence: {} }));
    const rows = nightly(10);
    const spikes = rows.flatMap(([v], i) => (v > 1 ? [i] : []));
    const p = rows.map(([v, t]) => plain.update(v, t).score);
    const a = rows.map(([v, t]) => aware.update(v, t).score);
    // The first night's spike falls in the warm-up; the second is the first one scored. Only the
    // noise remembered at that hour before it (a tiny surprise) is taken off.
    const first = spikes[1] ?? 0;
    const tenth = spikes[9] ?? 0;
    expect(p[first]).toBeGreaterThan(0.5);
    expect(a[first]).toBeGreaterThan((p[first] ?? 0) - 1e-3);
    expect(a[tenth]).toBeLessThan((p[tenth] ?? 0) - 0.05);
  });

  it('restores its recurrence memory from the ensemble snapshot', () => {
    const config = algorithmSchema.parse({ ...base, recurrence: {} });
    const a = createScorer(config);
    const rows = nightly(4);
    for (const [v, t] of rows.slice(0, 900)) a.update(v, t);
    const b = restoreScorer(config, JSON.parse(JSON.stringify(a.snapshot())) as ScorerSnapshot);
    for (const [v, t] of rows.slice(900)) expect(b.update(v, t)).toEqual(a.update(v, t));
  });

  it('refuses a snapshot whose recurrence memory does not fit the configuration', () => {
    const config = algorithmSchema.parse({ ...base, recurrence: { buckets: 24 } });
    const a = createScorer(config);
    for (const [v, t] of nightly(1)) a.update(v, t);
    const snap = a.snapshot();
    const state = snap.state as { recurrence: { peaks: number[]; times: number[] } };
    const flooded = { ...state, recurrence: { peaks: new Array<number>(1000).fill(1), times: new Array<number>(1000).fill(0) } };
    expect(() => restoreScorer(config, { ...snap, state: flooded })).toThrow(
      expect.objectContaining({ code: 'scorer-snapshot-invalid' }),
    );
  });

  it('refuses a recurrence with an unknown or out-of-range parameter', () => {
    expect(algorithmSchema.safeParse({ ...base, recurrence: { bucket: 24 } }).success).toBe(false);
    expect(algorithmSchema.safeParse({ ...base, recurrence: { buckets: 100000 } }).success).toBe(false);
    expect(algorithmSchema.safeParse({ ...base, recurrence: { damping: 2 } }).success).toBe(false);
  });
});
