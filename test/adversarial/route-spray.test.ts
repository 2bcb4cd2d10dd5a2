/**
 * An attacker who sprays paths at a busy workload, and a compromised pod that calls ever new
 * hosts: each distinct path or Host could be an entity of its own. The route table must keep
 * memory bounded whatever they send, and the routes in real use must keep their entities and
 * their baselines, so an error storm on one of them is still seen on its own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/detect/anomaly.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import { DetectorRuntime } from '../../src/detect/detector-runtime.js';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor } from '../../src/features/feature-extractor.js';
import type { AccessLogRecord } from '../../src/parse/records.js';
import { inbound, outbound } from '../unit/helpers/records.js';
import { loadShipped } from './attack-harness.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 6, 0, 0);
const POD = 'checkout-7d9f8c6b5-k2x9q';
const SPRAY = 100_000;

let detectors: DetectorSpec[] = [];
beforeAll(async () => {
  ({ detectors } = await loadShipped([
    'examples/detectors/route-error-regression.yaml', 'examples/detectors/authority-error-regression.yaml', 'detectors/error-regression.yaml',
  ]));
});

/** A reproducible uniform in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Day {
  readonly minutes: number;
  /** From this minute on, for 15 minutes, 60% of `POST /v1/pay` fails with 503. */
  readonly payOutageAt?: number;
  /** From this minute on, SPRAY distinct paths and SPRAY distinct hosts spread over 30 minutes. */
  readonly sprayAt?: number;
}

/**
 * A busy checkout: 200 catalogue reads a minute (fast, healthy) and 2 payments a minute, each
 * payment calling the payment provider. The payments' errors are lost in the catalogue's volume.
 */
function checkout(day: Day): AccessLogRecord[] {
  const next = random(5);
  const records: AccessLogRecord[] = [];
  for (let m = 0; m < day.minutes; m++) {
    const at = T0 + m * MIN;
    for (let k = 0; k < 200; k++) {
      records.push(inbound(POD, 'checkout', at + k * 290, { path: `/v1/catalogue/items/${Math.floor(next() * 5_000)}`, duration: 5 + Math.round(10 * next()) }));
    }
    for (let k = 0; k < 2; k++) {
      const failing = day.payOutageAt !== undefined && m >= day.payOutageAt && m < day.payOutageAt + 15 && next() < 0.6;
      records.push(inbound(POD, 'checkout', at + 1_000 + k * 30_000, { method: 'POST', path: '/v1/pay', responseCode: failing ? 503 : 200, duration: 80 }));
      records.push(outbound(POD, 'checkout', at + 1_001 + k * 30_000, 'api.payments.example', { responseCode: failing ? 503 : 200 }));
    }
    if (day.sprayAt !== undefined && m >= day.sprayAt && m < day.sprayAt + 30) {
      const perMinute = SPRAY / 30;
      for (let i = 0; i < perMinute; i++) {
        const n = Math.floor((m - day.sprayAt) * perMinute + i);
        const word = n.toString(36).replace(/\d/g, (d) => 'ghijklmnop'[Number(d)] ?? 'x');
        records.push(inbound(POD, 'checkout', at + 2_000 + (i % 50_000), { path: `/${word}/admin`, responseCode: 404, duration: 1 }));
        records.push(outbound(POD, 'checkout', at + 2_000 + (i % 50_000), `${word}.spray.example`, { responseCode: 503 }));
      }
    }
  }
  return records.sort((a, b) => a.timestamp - b.timestamp);
}

/** Runs the day through the feature stage and the detectors; returns the anomalies and the largest state seen. */
function run(day: Day): { anomalies: Anomaly[]; maxEntities: number } {
  const features = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
  const runtime = new DetectorRuntime(detectors);
  const anomalies: Anomaly[] = [];
  let maxEntities = 0;
  for (const record of checkout(day)) {
    features.ingest(record);
    const closed = features.advance().windows;
    if (closed.length > 0) {
      anomalies.push(...runtime.scoreGroup(closed));
      maxEntities = Math.max(maxEntities, features.trackedEntities);
    }
  }
  anomalies.push(...runtime.scoreGroup(features.flush().windows));
  return { anomalies, maxEntities: Math.max(maxEntities, features.trackedEntities) };
}

const flaggedAt = (anomalies: readonly Anomaly[], entity: string): number[] =>
  [...new Set(anomalies.filter((a) => a.entity.key === entity).map((a) => (a.windowStart - T0) / MIN))];

describe('per-route and per-host entities', () => {
  it('see a payment outage that the busy workload\'s error share hides', () => {
    const { anomalies } = run({ minutes: 120, payOutageAt: 90 });
    expect(flaggedAt(anomalies, 'workload:ml-prod/checkout')).toEqual([]);
    const route = flaggedAt(anomalies, 'route:ml-prod/checkout:POST:/v1/pay');
    expect(route.filter((m) => m < 90)).toEqual([]);
    expect(route.find((m) => m >= 90) ?? Infinity).toBeLessThan(100);
    expect(flaggedAt(anomalies, 'authority:ml-prod/checkout->api.payments.example').find((m) => m >= 90) ?? Infinity).toBeLessThan(100);
    // The catalogue's items are one route, not five thousand.
    expect(anomalies.some((a) => a.entity.key.startsWith('route:ml-prod/checkout:GET:/v1/catalogue/items/{n}'))).toBe(false);
  });

  it('stay bounded under 100,000 sprayed paths and hosts, and still see the payment outage during the spray', () => {
    const { anomalies, maxEntities } = run({ minutes: 140, sprayAt: 60, payOutageAt: 100 });
    // A pod, a workload, the caller principal, 32 routes, 32 hosts and their two {other} entities at most.
    expect(maxEntities).toBeLessThanOrEqual(3 + 32 + 32 + 2);
    const route = flaggedAt(anomalies, 'route:ml-prod/checkout:POST:/v1/pay');
    expect(route.find((m) => m >= 100) ?? Infinity).toBeLessThan(110);
    expect(flaggedAt(anomalies, 'authority:ml-prod/checkout->api.payments.example').find((m) => m >= 100) ?? Infinity).toBeLessThan(110);
    // The spray itself lands in {other}, where it is judged, not in a new entity per path.
    expect(anomalies.filter((a) => a.entity.kind === 'route' || a.entity.kind === 'authority').map((a) => a.entity.name))
      .not.toContain(expect.stringMatching(/spray|admin/));
  }, 120_000);
});
