import { beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/detect/anomaly.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import type { DriftMetricRecord, ModelTelemetryRecord, ParsedRecord } from '../../src/parse/records.js';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor } from '../../src/features/feature-extractor.js';
import { loadShipped, scoreRecords } from './attack-harness.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const MODEL = { name: 'fraud-detector', version: 'v3', namespace: 'ml-prod' };
const MODEL_KEY = 'model:ml-prod/fraud-detector@v3';
const COLUMNS = ['amount', 'merchant_category', 'tx_hour', 'distance_from_home_km', 'card_age_days', 'device_risk_score'];

/** The serving bridge's per-minute summary of `requests` predictions at mean `confidence`. */
function interval(at: number, requests: number, confidence: number): ModelTelemetryRecord {
  return {
    kind: 'model-telemetry', timestamp: at, granularity: 'interval', windowSeconds: 60, model: MODEL,
    counts: { requests, success: requests, failure: 0 }, latencyMs: { p95: 40 + (at / MIN) % 3 }, prediction: { confidence },
    origin: { source: 'attack', position: 1 },
  };
}

/** One prediction, as a payload logger (or anyone who can write to the telemetry topic) reports it. */
function onePrediction(at: number, confidence: number, latencyMs = 40): ModelTelemetryRecord {
  return {
    kind: 'model-telemetry', timestamp: at, granularity: 'request', model: MODEL,
    statusCode: 200, latencyMs: { total: latencyMs }, prediction: { confidence }, origin: { source: 'attack', position: 1 },
  };
}

function column(at: number, feature: string, psi: number): DriftMetricRecord {
  return {
    kind: 'drift-metric', timestamp: at, model: MODEL, tool: 'evidently', feature, method: 'psi', statistic: psi,
    threshold: 0.2, driftDetected: psi > 0.2, origin: { source: 'attack', position: 1 },
  };
}

/** Evidently's dataset-level verdict: a yes/no on the whole table, optionally with its share. */
function datasetVerdict(at: number, detected: boolean, share?: number): DriftMetricRecord {
  return {
    kind: 'drift-metric', timestamp: at, model: MODEL, tool: 'evidently', feature: '__dataset__', method: 'other',
    statistic: share ?? (detected ? 1 : 0), driftDetected: detected, origin: { source: 'attack', position: 1 },
    ...(share === undefined ? {} : { dataset: { numberOfColumns: COLUMNS.length, shareOfDriftedColumns: share } }),
  };
}

/** One drift report: every column's PSI, the listed ones drifted. */
function report(at: number, drifted: readonly string[] = []): DriftMetricRecord[] {
  return COLUMNS.map((feature, i) => column(at, feature, drifted.includes(feature) ? 0.45 : 0.03 + i * 0.005));
}

let detectors: DetectorSpec[] = [];

beforeAll(async () => {
  ({ detectors } = await loadShipped(['detectors/model-confidence-collapse.yaml', 'detectors/model-latency.yaml', 'detectors/feature-drift.yaml']));
});

/** Feeds records in time order through the feature stage and the shipped model detectors. */
function run(records: readonly ParsedRecord[]): Anomaly[] {
  return scoreRecords(detectors, records).filter((a) => a.entity.key === MODEL_KEY);
}

/** Two hours of a model serving 30 predictions a minute at its usual confidence. */
function healthyModel(minutes = 120): ModelTelemetryRecord[] {
  return Array.from({ length: minutes }, (_, i) => interval(T0 + i * MIN + 59_000, 30, 0.92 + 0.004 * Math.sin(i)));
}

/** Drift reports every 10 minutes for two hours, all columns quiet. */
function quietDrift(reports = 12): DriftMetricRecord[] {
  return Array.from({ length: reports }, (_, i) => report(T0 + i * 10 * MIN + 5_000)).flat();
}

describe('a model window too small to mean anything does not alarm', () => {
  it('one prediction at confidence 0.1 in an otherwise empty minute raises nothing', () => {
    const at = T0 + 121 * MIN;
    expect(run([...healthyModel(), onePrediction(at + 10_000, 0.1)])).toEqual([]);
  });

  it('an interval record without counts, claiming a mean of 0.1, stands for one prediction and raises nothing', () => {
    const forged: ModelTelemetryRecord = { ...interval(T0 + 121 * MIN + 10_000, 0, 0.1) };
    delete (forged as { counts?: unknown }).counts;
    expect(run([...healthyModel(), forged])).toEqual([]);
  });

  it('one very slow inference alone in a minute is not a latency regression', () => {
    expect(run([...healthyModel(), onePrediction(T0 + 121 * MIN + 10_000, 0.9, 30_000)])).toEqual([]);
  });

  it('a sustained collapse over many predictions is still caught in its first minute', () => {
    const collapse = Array.from({ length: 5 }, (_, i) => interval(T0 + (120 + i) * MIN + 59_000, 30, 0.45));
    const found = run([...healthyModel(), ...collapse]).filter((a) => a.detector === 'model-confidence-collapse');
    expect(found[0]?.windowStart).toBe(T0 + 120 * MIN);
    expect(found[0]?.evidence).toContainEqual(expect.objectContaining({ feature: 'confidence_mean', observed: 0.45 }));
  });
});

describe('drift alarms only on drift that persists, and only on column statistics', () => {
  it('a dataset-level yes among quiet column statistics does not move the drifted share', () => {
    const at = T0 + 120 * MIN + 5_000;
    const anomalies = run([...quietDrift(), ...report(at), datasetVerdict(at, true), ...report(at + 10 * MIN), datasetVerdict(at + 10 * MIN, true)]);
    expect(anomalies).toEqual([]);
    // A drift job watching one column: counted as a second column, the verdict would make it half.
    const features = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    for (const record of [column(at, 'amount', 0.04), datasetVerdict(at, true)]) features.ingest(record);
    const [window] = features.flush().windows;
    expect(window?.features).toMatchObject({ drift_share: 0, drift_statistics: 1, drift_stat_max: 0.04, drift_psi_max: 0.04 });
  });

  it('dataset-level verdicts alone, a bare yes twice in a row, raise nothing', () => {
    const at = T0 + 120 * MIN + 5_000;
    expect(run([...quietDrift(), datasetVerdict(at, true), datasetVerdict(at + 10 * MIN, true)])).toEqual([]);
  });

  it('a single blip, every column drifted in one report then quiet again, raises nothing', () => {
    const at = T0 + 120 * MIN + 5_000;
    expect(run([...quietDrift(), ...report(at, COLUMNS), datasetVerdict(at, true, 1), ...report(at + 10 * MIN)])).toEqual([]);
  });

  it('blips that do not follow each other never add up, however many there are', () => {
    const records = [...quietDrift()];
    for (let i = 0; i < 6; i++) {
      const at = T0 + (120 + 20 * i) * MIN + 5_000;
      records.push(...report(at, COLUMNS.slice(0, 3)), ...report(at + 10 * MIN));
    }
    expect(run(records)).toEqual([]);
  });

  it('drift holding over two consecutive reports alarms on the second', () => {
    const at = T0 + 120 * MIN + 5_000;
    const drifted = ['amount', 'merchant_category', 'distance_from_home_km'];
    const found = run([...quietDrift(), ...report(at, drifted), ...report(at + 10 * MIN, drifted)]).filter((a) => a.detector === 'feature-drift');
    expect(found.map((a) => a.windowStart)).toEqual([T0 + 130 * MIN]);
    expect(found[0]?.evidence).toContainEqual(expect.objectContaining({ feature: 'drift_psi_max', observed: 0.45 }));
  });

  it('a dataset-level share reported twice in a row, with no column statistics, alarms on the second', () => {
    const at = T0 + 120 * MIN + 5_000;
    const found = run([...quietDrift(), datasetVerdict(at, true, 0.67), datasetVerdict(at + 10 * MIN, true, 0.67)]);
    expect(found.map((a) => [a.detector, a.windowStart])).toEqual([['feature-drift', T0 + 130 * MIN]]);
  });
});
