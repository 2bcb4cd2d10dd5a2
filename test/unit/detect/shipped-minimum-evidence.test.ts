/**
 * Every shipped detector, and every example detector, judges a feature only on enough evidence
 * (docs/detection.md, "Minimum evidence and persistence" and "Accumulated evidence"). Each names
 * its rule here; a new detector under detectors/ or examples/detectors/ fails this test until it
 * is given one, and a rule weakened in a detector's file fails its line.
 */
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import type { DetectorSpec } from '../../../src/detect/detector-spec.js';
import { DEFAULT_FEATURE_OPTIONS } from '../../../src/features/feature-extractor.js';

type Spec = DetectorSpec['spec'];
type Feature = NonNullable<Spec['features']>[number];

const algorithmOf = (spec: Spec, feature: Feature): NonNullable<Spec['algorithm']> | undefined => feature.algorithm ?? spec.algorithm;

/** The features of a statistical detector all satisfy `rule`. */
function everyFeature(spec: Spec, rule: (feature: Feature) => boolean): boolean {
  return (spec.features ?? []).length > 0 && (spec.features ?? []).every(rule);
}

/** The minimum evidence each shipped detector is held to, as a check over its parsed spec. */
const DIRS = ['detectors', 'examples/detectors'];

const RULES: Readonly<Record<string, { readonly rule: string; readonly holds: (spec: Spec) => boolean }>> = {
  'auth-failure-storm': { rule: 'at least 20 requests of the principal in the window', holds: (s) => s.minRequests >= 20 },
  'distributed-auth-failures': {
    rule: 'at least 20 requests and at least 10 refused callers in the window',
    holds: (s) => s.minRequests >= 20 && everyFeature(s, (f) => (f.min ?? 0) >= 10),
  },
  'egress-spike': {
    // An upload is its own evidence: bytes Envoy counted, at least a megabyte of them per window
    // (five over five minutes, sixty over the hour), never a ratio over a handful of requests.
    rule: 'at least 1 MB sent in the window (scaled over each horizon)',
    holds: (s) => everyFeature(s, (f) => (f.min ?? 0) >= 1_000_000),
  },
  'error-storm': { rule: 'at least 10 requests in the window, and a share of at least 10%', holds: (s) => s.minRequests >= 10 && everyFeature(s, (f) => (f.min ?? 0) >= 0.1) },
  'error-regression': {
    rule: 'at least 3 failures behind an alarm (binomial-cusum minEvents)',
    holds: (s) => everyFeature(s, (f) => { const a = algorithmOf(s, f); return a?.type === 'binomial-cusum' && a.minEvents >= 3; }),
  },
  'route-error-regression': {
    rule: 'at least 3 failures of the route behind an alarm (binomial-cusum minEvents)',
    holds: (s) => everyFeature(s, (f) => { const a = algorithmOf(s, f); return a?.type === 'binomial-cusum' && a.minEvents >= 3; }),
  },
  'authority-error-regression': {
    rule: 'at least 3 failed calls to the host behind an alarm (binomial-cusum minEvents)',
    holds: (s) => everyFeature(s, (f) => { const a = algorithmOf(s, f); return a?.type === 'binomial-cusum' && a.minEvents >= 3; }),
  },
  'route-latency-regression': {
    rule: 'at least 3 requests of the route behind an alarm (log-ratio-cusum minCount)',
    holds: (s) => everyFeature(s, (f) => { const a = algorithmOf(s, f); return a?.type === 'log-ratio-cusum' && a.minCount >= 3; }),
  },
  'falco-runtime-alerts': { rule: 'an alert Falco raised at notice priority or above (a verdict, not a statistic)', holds: (s) => s.falco !== undefined },
  'feature-drift': { rule: 'two consecutive drift reports past the mark (persistence 2)', holds: (s) => s.persistence >= 2 },
  'latency-storm': { rule: 'at least 20 requests in the window, or in each horizon', holds: (s) => s.minRequests >= 20 },
  'latency-regression': {
    rule: 'at least 3 requests behind an alarm (log-ratio-cusum minCount)',
    holds: (s) => everyFeature(s, (f) => { const a = algorithmOf(s, f); return a?.type === 'log-ratio-cusum' && a.minCount >= 3; }),
  },
  'mesh-autoencoder': { rule: 'at least 10 requests in the window', holds: (s) => s.minRequests >= 10 },
  'model-canary-regression': {
    rule: 'at least 3 inferences of each version in the window, and 3 slow or failed inferences behind an alarm (minCount, minEvents)',
    holds: (s) => s.minRequests >= 3 && everyFeature(s, (f) => {
      const a = algorithmOf(s, f);
      return (a?.type === 'log-ratio-cusum' && a.minCount >= 3) || (a?.type === 'binomial-cusum' && a.minEvents >= 3);
    }),
  },
  'model-confidence-collapse': { rule: 'at least 10 predictions with a confidence in the window', holds: (s) => s.minRequests >= 10 },
  'model-latency': { rule: 'at least 10 inferences in the window', holds: (s) => s.minRequests >= 10 },
  // A new edge is a connection Envoy made, judged only once its workload's edges have been learnt.
  'new-callee-edges': { rule: 'an edge made after the workload\'s 6-hour learning period', holds: (s) => everyFeature(s, (f) => f.name === 'new_edges') },
  'rollout-new-edges': { rule: 'an edge made after the workload\'s 6-hour learning period', holds: (s) => everyFeature(s, (f) => f.name === 'rollout_edges') },
};

let shipped: DetectorSpec[] = [];
beforeAll(async () => {
  const config = await loadConfig(DIRS);
  expect(config.problems).toEqual([]);
  shipped = config.detectors.map((d) => d.value);
});

describe('minimum evidence of the shipped detectors', () => {
  it('names a rule for every file under detectors/ and examples/detectors/', () => {
    expect(shipped).toHaveLength(DIRS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.yaml'))).length);
    expect(shipped.map((d) => d.metadata.name).sort()).toEqual(Object.keys(RULES).sort());
  });

  it.each(Object.entries(RULES))('%s: %s', (name, { holds }) => {
    const detector = shipped.find((d) => d.metadata.name === name);
    expect(detector).toBeDefined();
    expect(detector !== undefined && holds(detector.spec)).toBe(true);
  });

  it('learns a workload\'s edges for six hours before any is new', () => {
    expect(DEFAULT_FEATURE_OPTIONS.edgeLearningMs).toBeGreaterThanOrEqual(6 * 3_600_000);
  });
});
