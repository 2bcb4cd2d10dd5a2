/**
 * `compare: stable-version`: a model version judged against the stable version serving beside it,
 * window by window, with the shipped `model-canary-regression` detector.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { DetectorRuntime } from '../../../src/detect/detector-runtime.js';
import type { DetectorStateSnapshot } from '../../../src/detect/detector-state.js';
import { detectorSchema, type DetectorSpec } from '../../../src/detect/detector-spec.js';
import type { FeatureWindow } from '../../../src/features/feature-window.js';
import { seededRandom } from '../../../src/shared/random.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2);

let canary: DetectorSpec;
beforeAll(async () => {
  const config = await loadConfig(['detectors/model-canary-regression.yaml']);
  expect(config.problems).toEqual([]);
  const spec = config.detectors[0]?.value;
  if (spec === undefined) throw new Error('no detector');
  canary = spec;
});

/** What one version serves in one window: inferences, their latency scale and failure share. */
interface Serving {
  readonly version: string;
  readonly inferences: number;
  readonly latencyMs: number;
  readonly failureShare: number;
}

/** A window of one version of `assist/ranker`, its p95 the 95th percentile of log-normal latencies. */
function windowOf(i: number, s: Serving, random: () => number): FeatureWindow {
  const latencies = Array.from({ length: s.inferences }, () => s.latencyMs * Math.exp(0.35 * gaussian(random))).sort((a, b) => a - b);
  let failures = 0;
  for (let k = 0; k < s.inferences; k++) if (random() < s.failureShare) failures++;
  const features: Record<string, number> = { model_requests: s.inferences };
  if (s.inferences > 0) {
    features.model_failure_ratio = failures / s.inferences;
    features.model_latency_p95 = latencies[Math.min(s.inferences - 1, Math.ceil(0.95 * s.inferences) - 1)] ?? 0;
  }
  return {
    entity: { key: `model:assist/ranker@${s.version}`, kind: 'model', namespace: 'assist', name: 'ranker', model: 'ranker', version: s.version },
    windowStart: T0 + i * MIN, windowEnd: T0 + (i + 1) * MIN, features, details: {},
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Runs `minutes` windows: the stable version v3 alone for `history` minutes, then v3 and v4 side
 * by side, v4 taking `share` of about 330 inferences a minute. Returns v4's anomalies.
 */
function rollout(options: { minutes: number; share: number; v4: Partial<Serving>; seed: number; history?: number; runtime?: DetectorRuntime }): { anomalies: Anomaly[]; scored: number; runtime: DetectorRuntime } {
  const runtime = options.runtime ?? new DetectorRuntime([canary]);
  const random = seededRandom(options.seed);
  const history = options.history ?? 120;
  const anomalies: Anomaly[] = [];
  let scored = 0;
  for (let i = 0; i < history + options.minutes; i++) {
    const total = 330;
    const canaryServes = i >= history;
    const v4 = canaryServes ? Math.round(total * options.share) : 0;
    const group = [windowOf(i, { version: 'v3', inferences: total - v4, latencyMs: 120, failureShare: 0.01 }, random)];
    if (canaryServes) group.push(windowOf(i, { version: 'v4', inferences: v4, latencyMs: 120, failureShare: 0.01, ...options.v4 }, random));
    anomalies.push(...runtime.scoreGroup(group));
    scored += runtime.takeTally().get('model-canary-regression')?.scored ?? 0;
  }
  return { anomalies, scored, runtime };
}

/** Minutes from the canary's first window to its first anomaly. */
function minutesToDetect(anomalies: readonly Anomaly[], history = 120): number {
  const first = anomalies[0];
  return first === undefined ? Number.POSITIVE_INFINITY : (first.windowStart - T0) / MIN - history + 1;
}

describe('a canary version judged against the stable version beside it', () => {
  it('raises nothing on a canary as good as the stable version, over eight hours at 10% of traffic', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { anomalies, scored } = rollout({ minutes: 480, share: 0.1, v4: {}, seed });
      expect(scored).toBe(480);
      expect(anomalies).toEqual([]);
    }
  });

  it('raises nothing at 2% of traffic either, where each window holds about seven inferences', () => {
    for (const seed of [6, 7, 8]) expect(rollout({ minutes: 480, share: 0.02, v4: {}, seed }).anomalies).toEqual([]);
  });

  it('catches a canary twice as slow at 10% of traffic in its first three windows, naming both versions and both values', () => {
    for (const seed of [11, 12, 13, 14, 15]) {
      const { anomalies } = rollout({ minutes: 30, share: 0.1, v4: { latencyMs: 240 }, seed });
      expect(minutesToDetect(anomalies)).toBeLessThanOrEqual(3);
      const [first] = anomalies;
      expect(first).toMatchObject({ detector: 'model-canary-regression', severity: 'high', entity: { key: 'model:assist/ranker@v4', version: 'v4' } });
      const evidence = first?.evidence.find((e) => e.feature === 'model_latency_p95');
      expect(evidence?.observed).toBeGreaterThan(1.5 * (evidence?.expected ?? Infinity));
      expect(evidence?.details?.[0]).toMatch(/^v4 p95 \d+(\.\d)? ms vs stable v3 \d+(\.\d)? ms (in the same window|over the same \d+ windows), \d+ vs \d+ inferences$/);
    }
  });

  it('catches a canary that fails five times as often (5% against 1%) at 10% of traffic within fifteen windows', () => {
    for (const seed of [21, 22, 23, 24, 25]) {
      const { anomalies } = rollout({ minutes: 60, share: 0.1, v4: { failureShare: 0.05 }, seed });
      expect(minutesToDetect(anomalies)).toBeLessThanOrEqual(15);
      expect(anomalies[0]?.evidence.map((e) => e.feature)).toContain('model_failure_ratio');
      expect(anomalies[0]?.evidence.find((e) => e.feature === 'model_failure_ratio')?.details?.[0]).toMatch(/^v4 failures [\d.]+% vs stable v3 [\d.]+% /);
    }
  });

  it('gives no verdict on windows in which the canary served one or two inferences, however slow', () => {
    const runtime = new DetectorRuntime([canary]);
    const random = seededRandom(31);
    let scored = 0;
    const anomalies: Anomaly[] = [];
    for (let i = 0; i < 60; i++) {
      const group = [
        windowOf(i, { version: 'v3', inferences: 300, latencyMs: 120, failureShare: 0.01 }, random),
        ...(i >= 10 ? [windowOf(i, { version: 'v4', inferences: 1 + (i % 2), latencyMs: 5_000, failureShare: 1 }, random)] : []),
      ];
      anomalies.push(...runtime.scoreGroup(group));
      scored += runtime.takeTally().get('model-canary-regression')?.scored ?? 0;
    }
    expect(scored).toBe(0);
    expect(anomalies).toEqual([]);
  });

  it('never judges the stable version, nor a version while the stable one serves nothing in the window', () => {
    const runtime = new DetectorRuntime([canary]);
    const random = seededRandom(41);
    for (let i = 0; i < 30; i++) runtime.scoreGroup([windowOf(i, { version: 'v3', inferences: 300, latencyMs: 120, failureShare: 0.01 }, random)]);
    // v3 stops; v4 alone, however slow, has nothing to be compared with.
    const alone = [];
    for (let i = 30; i < 60; i++) alone.push(...runtime.scoreGroup([windowOf(i, { version: 'v4', inferences: 300, latencyMs: 900, failureShare: 0.5 }, random)]));
    expect(alone).toEqual([]);
    expect(runtime.takeTally().get('model-canary-regression')).toBeUndefined();
  });

  it('resumes the accumulated evidence across a restart', () => {
    const { runtime } = rollout({ minutes: 1, share: 0.1, v4: { latencyMs: 170 }, seed: 51 });
    const saved = JSON.parse(JSON.stringify(runtime.snapshot())) as DetectorStateSnapshot;
    expect(saved.modelVersions).toEqual([['assist/ranker', [['v3', 121, T0 + MIN, T0 + 121 * MIN], ['v4', 1, T0 + 121 * MIN, T0 + 121 * MIN]]]]);
    expect(Object.keys(saved.scorers)).toContain('model-canary-regression|model:assist/ranker@v4|model_latency_p95');
  });
});

describe('compare: stable-version in a detector file', () => {
  const base = { entity: 'model', compare: 'stable-version', threshold: 0.5, features: [{ name: 'model_latency_p95', algorithm: { type: 'log-ratio-cusum' } }] };
  const issues = (spec: Record<string, unknown>): string[] => {
    const parsed = detectorSchema.safeParse({ apiVersion: 'meshwarden.io/v1', kind: 'Detector', metadata: { name: 'canary' }, spec: { ...base, ...spec } });
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts the shipped shape', () => {
    expect(issues({})).toEqual([]);
  });

  it('explains every misuse at once, each at its path', () => {
    expect(issues({
      entity: 'workload', horizons: ['5m'],
      features: [
        { name: 'model_latency_p95', algorithm: { type: 'robust-zscore' } },
        { name: 'ratio_5xx', algorithm: { type: 'binomial-cusum' } },
        { name: 'model_failure_ratio', algorithm: { type: 'log-ratio-cusum' } },
      ],
    })).toEqual([
      'spec.compare: compares a model\'s versions: set entity: model (got "workload")',
      'spec.horizons: does not apply with compare: the comparison accumulates evidence window by window itself',
      'spec.features.0.algorithm.type: "robust-zscore" cannot judge "model_latency_p95" against the stable version; use log-ratio-cusum',
      'spec.features.1.name: feature "ratio_5xx" cannot be compared between versions; use model_latency_p95, confidence_mean, model_failure_ratio',
      'spec.features.2.algorithm.type: "log-ratio-cusum" cannot judge "model_failure_ratio" against the stable version; use binomial-cusum',
    ]);
  });

  it('refuses a value other than stable-version, and a cohort baseline', () => {
    expect(issues({ compare: 'previous-version' })).toEqual(['spec.compare: Invalid input: expected "stable-version"']);
    expect(issues({ baseline: 'cohort' })).toEqual(['spec.baseline: does not apply with compare: a version is judged against its stable version, not a cohort']);
  });
});
