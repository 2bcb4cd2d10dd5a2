/**
 * Whoever can publish model telemetry writes the version string (docs/security.md, "Model
 * telemetry"). Written as that publisher would attack: spray thousands of made-up versions of a
 * model to grow the engine's memory or drown the real canary, and invent a "stable" version with
 * made-up numbers so that a slow canary looks no worse than it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/detect/anomaly.js';
import { DetectorRuntime } from '../../src/detect/detector-runtime.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor } from '../../src/features/feature-extractor.js';
import { parseMessage } from '../../src/parse/parse-message.js';
import { seededRandom } from '../../src/shared/random.js';
import { loadShipped } from './attack-harness.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 6, 0, 0);

let detectors: DetectorSpec[] = [];
beforeAll(async () => {
  ({ detectors } = await loadShipped(['detectors/model-canary-regression.yaml', 'detectors/model-latency.yaml']));
});

/** One interval record of `assist/ranker` as a publisher sends it on the wire. */
function telemetry(at: number, version: string, requests: number, p95: number, pod = 'ranker-7d9c-x2k4p'): string {
  return JSON.stringify({
    schema: 'model_telemetry.v1', ts: new Date(at).toISOString(), kind: 'interval', window_s: 60,
    model: { name: 'ranker', version, namespace: 'assist', pod },
    counts: { requests, success: requests, failure: 0 }, latency_ms: { p95 },
  });
}

interface Minute {
  readonly i: number;
  readonly at: number;
  readonly send: (line: string) => void;
  readonly random: () => number;
}

/**
 * Feeds `minutes` minutes of wire records through parsing, the feature stage and the detectors.
 * Each minute the stable v3 serves 300 inferences at about 120 ms; `extra` adds the minute's other
 * records (the canary's, the attacker's).
 */
function replay(minutes: number, extra: (m: Minute) => void): { anomalies: Anomaly[]; features: FeatureExtractor; runtime: DetectorRuntime } {
  const features = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
  const runtime = new DetectorRuntime(detectors);
  const random = seededRandom(9);
  const anomalies: Anomaly[] = [];
  let position = 0;
  const send = (line: string): void => {
    const outcome = parseMessage(line, { source: 'telemetry', position: position++ });
    expect(outcome.deadLetters).toEqual([]);
    for (const record of outcome.records) features.ingest(record);
  };
  for (let i = 0; i < minutes; i++) {
    const at = T0 + i * MIN + 30_000;
    send(telemetry(at, 'v3', 300, 120 * Math.exp(0.1 * (random() - 0.5))));
    extra({ i, at, send, random });
    anomalies.push(...runtime.scoreGroup(features.advance().windows));
  }
  anomalies.push(...runtime.scoreGroup(features.flush().windows));
  return { anomalies, features, runtime };
}

/** The real canary v4 from minute 120: 33 inferences a minute, twice as slow as v3. */
function slowCanary(m: Minute): void {
  if (m.i >= 120) m.send(telemetry(m.at, 'v4', 33, 240 * Math.exp(0.1 * (m.random() - 0.5)), 'ranker-canary-5f6g7-h8j9k'));
}

const canaryAlarms = (anomalies: readonly Anomaly[]): Anomaly[] => anomalies.filter((a) => a.detector === 'model-canary-regression' && a.entity.key === 'model:assist/ranker@v4');

/** 250 made-up versions a minute from `from` to `to` (each sent once, with made-up numbers). */
function spray(m: Minute, from: number, to: number): void {
  if (m.i >= from && m.i < to) for (let k = 0; k < 250; k++) m.send(telemetry(m.at, `fake-${m.i}-${k}`, 1_000, 5 + k));
}

describe('a publisher spraying made-up versions of a model', () => {
  it('keeps memory bounded: 20,000 versions in 80 minutes make tens of entities and scorers, not thousands, and the canary is still caught', () => {
    const { anomalies, features, runtime } = replay(210, (m) => {
      slowCanary(m);
      spray(m, 125, 205);
    });
    // A version holds its place for 30 minutes of silence: 8 places, turned over a few times.
    expect(features.trackedEntities).toBeLessThanOrEqual(40);
    expect(runtime.modelVersionCount).toBeLessThanOrEqual(8);
    expect(runtime.scorerCount).toBeLessThanOrEqual(120);
    // The canary had its place before the spray and keeps it while it reports.
    const alarms = canaryAlarms(anomalies);
    expect(alarms[0]?.windowStart).toBeLessThanOrEqual(T0 + 123 * MIN);
    expect(alarms.some((a) => a.windowStart >= T0 + 150 * MIN)).toBe(true);
  });

  it('a spray that takes every place before the rollout pushes the canary into {other}, which is judged against the stable version and caught', () => {
    const { anomalies } = replay(150, (m) => {
      slowCanary(m);
      spray(m, 100, 150);
    });
    const other = anomalies.filter((a) => a.detector === 'model-canary-regression' && a.entity.key === 'model:assist/ranker@{other}');
    expect(other[0]?.windowStart).toBeLessThanOrEqual(T0 + 123 * MIN);
    expect(other[0]?.evidence[0]?.details?.[0]).toMatch(/^\{other\} p95 \d+ ms vs stable v3 \d+ ms /);
  });

  it('cannot make a made-up version the stable one: a fake "v3-stable" with slow numbers from the canary\'s start does not hide it', () => {
    const { anomalies } = replay(150, (m) => {
      slowCanary(m);
      // The attacker's reference: far more inferences than v3, as slow as the canary.
      if (m.i >= 120) m.send(telemetry(m.at, 'v3-stable', 5_000, 240));
    });
    const alarms = canaryAlarms(anomalies);
    expect(alarms[0]?.windowStart).toBeLessThanOrEqual(T0 + 123 * MIN);
    expect(alarms[0]?.evidence[0]?.details?.[0]).toMatch(/^v4 p95 \d+ ms vs stable v3 \d+ ms /);
    // And the fake version is itself judged against the real stable one, like any newcomer.
    expect(anomalies.some((a) => a.detector === 'model-canary-regression' && a.entity.key === 'model:assist/ranker@v3-stable')).toBe(true);
  });
});
