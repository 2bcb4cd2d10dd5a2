import { beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/detect/anomaly.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import type { AccessLogRecord } from '../../src/parse/records.js';
import { inbound, outbound } from '../unit/helpers/records.js';
import { loadShipped, scoreRecords } from './attack-harness.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 6, 0, 0);
const CHECKOUT = 'checkout-7d9f8c6b5-k2x9q';
const SYNC = 'report-sync-5f6d7c8b9-p4m2z';

/** A reproducible uniform in [0, 1): the same stream on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

let detectors: DetectorSpec[] = [];
beforeAll(async () => {
  ({ detectors } = await loadShipped(['detectors/latency-storm.yaml', 'detectors/egress-spike.yaml']));
});

/** Feeds records in time order through the feature stage and the shipped detectors. */
function run(records: readonly AccessLogRecord[]): Anomaly[] {
  return scoreRecords(detectors, records);
}

/** Minutes from T0 at which `detector` flagged `entity`. */
function flaggedAt(anomalies: readonly Anomaly[], detector: string, entity: string): number[] {
  return anomalies.filter((a) => a.detector === detector && a.entity.key === entity).map((a) => (a.windowStart - T0) / MIN);
}

interface CheckoutDay {
  readonly minutes: number;
  /** Requests a minute on average (7 to 26 over the day when absent). */
  readonly rate?: number;
  /** Latency multiplier from this minute on, for `regressionMinutes` (a bad deploy). */
  readonly regressionAt?: number;
  readonly regressionMinutes?: number;
  readonly factor?: number;
  /** One request this slow at this minute (a straggler, not a regression). */
  readonly slowAt?: number;
}

/**
 * A low-volume checkout service: 7 to 26 requests a minute following the time of day, latencies
 * of 60-140 ms with a long tail; optionally a regression that multiplies every latency.
 */
function checkout(day: CheckoutDay, seed = 7): AccessLogRecord[] {
  const next = random(seed);
  const records: AccessLogRecord[] = [];
  for (let m = 0; m < day.minutes; m++) {
    const usual = day.rate ?? 16.5 + 9.5 * Math.sin((2 * Math.PI * m) / 1440);
    const perMinute = Math.round(usual + (next() - 0.5) * 4);
    const regressed = day.regressionAt !== undefined && m >= day.regressionAt && m < day.regressionAt + (day.regressionMinutes ?? 60);
    for (let k = 0; k < perMinute; k++) {
      const base = 60 + 80 * next() + (next() < 0.05 ? 150 * next() : 0);
      const at = T0 + m * MIN + Math.floor((k * 59_000) / perMinute);
      records.push(inbound(CHECKOUT, 'checkout', at, { duration: Math.round(base * (regressed ? day.factor ?? 2 : 1)) }));
    }
    if (m === day.slowAt) records.push(inbound(CHECKOUT, 'checkout', T0 + m * MIN + 59_500, { duration: 9_000 }));
  }
  return records;
}

interface SyncDay {
  readonly minutes: number;
  /** From this minute on, upload volume grows linearly to `ramp` times its usual level over 90 minutes. */
  readonly rampAt?: number;
  readonly ramp?: number;
  /** Uploads 40 times the usual volume for ten minutes from this minute (a smash-and-grab). */
  readonly burstAt?: number;
}

/**
 * A pod that legitimately uploads reports (about 2 MB a minute, bursty, following the time of day),
 * optionally exfiltrating on top of it: its uploads grow 5-10x over 90 minutes.
 */
function reportSync(day: SyncDay, seed = 11): AccessLogRecord[] {
  const next = random(seed);
  const records: AccessLogRecord[] = [];
  for (let m = 0; m < day.minutes; m++) {
    const diurnal = 1 + 0.3 * Math.sin((2 * Math.PI * m) / 1440);
    const ramp = day.rampAt === undefined || m < day.rampAt ? 1 : 1 + ((day.ramp ?? 5) - 1) * Math.min(1, (m - day.rampAt) / 90);
    const burst = day.burstAt !== undefined && m >= day.burstAt && m < day.burstAt + 10 ? 40 : 1;
    for (let k = 0; k < 4; k++) {
      const bytes = Math.round(500_000 * diurnal * ramp * burst * (0.4 + 1.2 * next()));
      records.push(outbound(SYNC, 'report-sync', T0 + m * MIN + k * 15_000, 'reports.example.net', { bytesReceived: bytes }));
    }
  }
  return records;
}

describe('a latency regression at a few requests a minute', () => {
  it('p95 doubling for an hour after a deploy, at ten requests a minute, is caught within 15 minutes', () => {
    // Every minute holds 8 to 12 requests: too few for a minute's p95 to be judged on its own.
    const anomalies = run(checkout({ minutes: 300, rate: 10, regressionAt: 220, regressionMinutes: 60, factor: 2 }));
    const flagged = flaggedAt(anomalies, 'latency-storm', `workload:ml-prod/checkout`);
    expect(flagged.filter((m) => m < 220)).toEqual([]);
    const first = flagged.find((m) => m >= 220);
    expect(first).toBeDefined();
    expect(first ?? Infinity).toBeLessThan(235);
  });

  it('one 9-second request does not make a regression', () => {
    for (const rate of [10, 24]) expect(flaggedAt(run(checkout({ minutes: 300, rate, slowAt: 230 })), 'latency-storm', `workload:ml-prod/checkout`)).toEqual([]);
    const anomalies = run(checkout({ minutes: 300, slowAt: 230 }));
    expect(flaggedAt(anomalies, 'latency-storm', `workload:ml-prod/checkout`)).toEqual([]);
  });

  it('eight hours of the daily swing from 7 to 26 requests a minute raise nothing', () => {
    for (const seed of [3, 5, 13]) expect(flaggedAt(run(checkout({ minutes: 480 }, seed)), 'latency-storm', `workload:ml-prod/checkout`)).toEqual([]);
  });
});

describe('slow exfiltration', () => {
  it.each([5, 10])('a pod whose uploads grow %ix over 90 minutes is caught within 40 minutes', (ramp) => {
    // No single minute stands out: each is a few percent above the one before.
    const anomalies = run(reportSync({ minutes: 320, rampAt: 200, ramp }));
    const flagged = flaggedAt(anomalies, 'egress-spike', `pod:ml-prod/${SYNC}`);
    expect(flagged.filter((m) => m < 200)).toEqual([]);
    const first = flagged.find((m) => m >= 200);
    expect(first).toBeDefined();
    expect(first ?? Infinity).toBeLessThan(240);
  });

  it('a smash-and-grab is flagged while it lasts, not for the hour its bytes stay in the horizon', () => {
    const flagged = flaggedAt(run(reportSync({ minutes: 320, burstAt: 200 })), 'egress-spike', `pod:ml-prod/${SYNC}`);
    expect(flagged[0]).toBe(200);
    expect(flagged.filter((m) => m >= 212)).toEqual([]);
  });

  it('eight hours of bursty uploads rising with the time of day raise nothing', () => {
    for (const seed of [3, 5, 13]) expect(flaggedAt(run(reportSync({ minutes: 480 }, seed)), 'egress-spike', `pod:ml-prod/${SYNC}`)).toEqual([]);
  });
});
