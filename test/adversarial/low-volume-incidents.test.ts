/**
 * Incidents at volumes where no single window holds enough to judge: a latency regression and an
 * outage at about one request a minute, against the shipped latency-regression and
 * error-regression detectors. The attacker here is chance: a straggler, two stray 503s, hours of
 * ordinary noise must never look like the evidence that adds up.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/detect/anomaly.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import type { AccessLogRecord } from '../../src/parse/records.js';
import { inbound } from '../unit/helpers/records.js';
import { loadShipped, scoreRecords } from './attack-harness.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 6, 0, 0);
const POD = 'search-7d9f8c6b5-k2x9q';
const ENTITY = 'workload:ml-prod/search';

/** A reproducible uniform in [0, 1): the same stream on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A Poisson draw by inversion (small means only). */
function poisson(mean: number, next: () => number): number {
  let k = 0;
  let p = Math.exp(-mean);
  let cumulative = p;
  const u = next();
  while (u > cumulative && k < 1_000) {
    k++;
    p *= mean / k;
    cumulative += p;
  }
  return k;
}

interface SearchDay {
  readonly minutes: number;
  /** Mean requests a minute (Poisson). */
  readonly rate: number;
  /** Every latency times `factor` from this minute on, for `spanMinutes`. */
  readonly slowAt?: number;
  readonly factor?: number;
  /** This share of requests answered 503 from `failAt` on, for `spanMinutes`. */
  readonly failAt?: number;
  readonly failShare?: number;
  readonly spanMinutes?: number;
  /** Benign share of 503s throughout. */
  readonly benignErrors?: number;
  /** Single requests at these minutes: one 9-second straggler each. */
  readonly stragglers?: readonly number[];
  /** Single 503s at these minutes. */
  readonly strays?: readonly number[];
}

/** A quiet search service: latencies of 20-40 ms with a 5% tail up to 100 ms. */
function search(day: SearchDay, seed = 7): AccessLogRecord[] {
  const next = random(seed);
  const records: AccessLogRecord[] = [];
  const within = (m: number, at: number | undefined): boolean => at !== undefined && m >= at && m < at + (day.spanMinutes ?? 60);
  for (let m = 0; m < day.minutes; m++) {
    const n = poisson(day.rate, next);
    for (let k = 0; k < n; k++) {
      const base = 20 + 20 * next() + (next() < 0.05 ? 60 * next() : 0);
      const failing = (within(m, day.failAt) && next() < (day.failShare ?? 0.6)) || next() < (day.benignErrors ?? 0);
      records.push(inbound(POD, 'search', T0 + m * MIN + Math.floor((k * 59_000) / n), {
        duration: Math.round(base * (within(m, day.slowAt) ? day.factor ?? 2 : 1)),
        responseCode: failing ? 503 : 200,
      }));
    }
    if (day.stragglers?.includes(m) === true) records.push(inbound(POD, 'search', T0 + m * MIN + 59_500, { duration: 9_000 }));
    if (day.strays?.includes(m) === true) records.push(inbound(POD, 'search', T0 + m * MIN + 59_600, { responseCode: 503 }));
  }
  return records;
}

let detectors: DetectorSpec[] = [];
beforeAll(async () => {
  ({ detectors } = await loadShipped(['detectors/latency-regression.yaml', 'detectors/error-regression.yaml']));
});

function flaggedAt(anomalies: readonly Anomaly[], detector: string): number[] {
  return anomalies.filter((a) => a.detector === detector && a.entity.key === ENTITY).map((a) => (a.windowStart - T0) / MIN);
}

describe('a latency regression at one request a minute (latency-regression)', () => {
  it.each([3, 5, 13])('latencies doubling after a deploy are caught within ten minutes (seed %i)', (seed) => {
    const flagged = flaggedAt(scoreRecords(detectors, search({ minutes: 300, rate: 1, slowAt: 240, factor: 2.3 }, seed)), 'latency-regression');
    expect(flagged.filter((m) => m < 240)).toEqual([]);
    expect(flagged.find((m) => m >= 240) ?? Infinity).toBeLessThan(250);
  });

  it('at thirty requests a minute the same regression is caught in its first window', () => {
    const flagged = flaggedAt(scoreRecords(detectors, search({ minutes: 300, rate: 30, slowAt: 240, factor: 2.3 })), 'latency-regression');
    expect(flagged.filter((m) => m < 240)).toEqual([]);
    expect(flagged[0]).toBe(240);
  });

  it('one 9-second request, or two far apart, is not a regression, at one request a minute or at thirty', () => {
    for (const rate of [1, 30]) {
      expect(flaggedAt(scoreRecords(detectors, search({ minutes: 300, rate, stragglers: [200] })), 'latency-regression')).toEqual([]);
      expect(flaggedAt(scoreRecords(detectors, search({ minutes: 300, rate, stragglers: [200, 215] })), 'latency-regression')).toEqual([]);
    }
  });

  it('eight hours of ordinary latencies at one request a minute raise nothing', () => {
    for (const seed of [3, 5, 13, 17]) expect(flaggedAt(scoreRecords(detectors, search({ minutes: 480, rate: 1 }, seed)), 'latency-regression')).toEqual([]);
  });

  it('a 20% slowdown is not the doubling the detector is for', () => {
    expect(flaggedAt(scoreRecords(detectors, search({ minutes: 400, rate: 30, slowAt: 240, factor: 1.2, spanMinutes: 120 })), 'latency-regression')).toEqual([]);
  });
});

describe('an outage at one request a minute (error-regression)', () => {
  it.each([3, 5, 13, 17, 19])('three in five requests answered 503 is caught within ten minutes (seed %i)', (seed) => {
    // About six requests' worth of evidence at that share: each failure adds at most a third of
    // the decision interval, each success takes ln 2 off.
    const flagged = flaggedAt(scoreRecords(detectors, search({ minutes: 300, rate: 1, failAt: 240, failShare: 0.6, spanMinutes: 15 }, seed)), 'error-regression');
    expect(flagged.filter((m) => m < 240)).toEqual([]);
    expect(flagged.find((m) => m >= 240) ?? Infinity).toBeLessThan(250);
  });

  it('two stray 503s in a quiet hour, even back to back, are not an outage', () => {
    expect(flaggedAt(scoreRecords(detectors, search({ minutes: 300, rate: 1, strays: [200, 201] })), 'error-regression')).toEqual([]);
    expect(flaggedAt(scoreRecords(detectors, search({ minutes: 300, rate: 1, strays: [200, 230] })), 'error-regression')).toEqual([]);
  });

  it('eight hours of a busy service\'s ordinary 0.5% of 503s raise nothing', () => {
    for (const seed of [3, 5, 13]) {
      expect(flaggedAt(scoreRecords(detectors, search({ minutes: 480, rate: 40, benignErrors: 0.005 }, seed)), 'error-regression')).toEqual([]);
    }
  });

  it('a busy service failing half its requests is caught in the first window', () => {
    const flagged = flaggedAt(scoreRecords(detectors, search({ minutes: 300, rate: 40, benignErrors: 0.005, failAt: 240, failShare: 0.5, spanMinutes: 15 })), 'error-regression');
    expect(flagged.filter((m) => m < 240)).toEqual([]);
    expect(flagged[0]).toBe(240);
  });
});
