import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/parse/parse-message.js';

const RECORDS = new URL('../../fixtures/records/', import.meta.url);

function fixture(path: string): string {
  return readFileSync(new URL(path, RECORDS), 'utf8');
}

function parseFixture(path: string): ReturnType<typeof parseMessage> {
  return parseMessage(fixture(path), { source: path, position: 1 });
}

const ms = (iso: string): number => Date.parse(iso);

describe('model_telemetry.v1', () => {
  it('maps a KServe per-request record to camelCase, every field kept', () => {
    expect(parseFixture('good/model-telemetry-request-kserve.json')).toStrictEqual({
      records: [
        {
          kind: 'model-telemetry',
          timestamp: ms('2025-03-14T09:26:53.589Z'),
          granularity: 'request',
          model: {
            name: 'fraud-detector',
            version: 'v7',
            namespace: 'ml-prod',
            servingSystem: 'kserve',
            component: 'predictor',
            revision: 'fraud-detector-predictor-00007',
            pod: 'fraud-detector-predictor-00007-deployment-6d5f7c9b8-k2x4p',
            trafficPercent: 10,
          },
          requestId: '84961386-6d84-929d-98bd-c5aee93b5c88',
          statusCode: 200,
          latencyMs: { total: 41.5, preprocess: 3.2, predict: 35.1, postprocess: 3.2 },
          prediction: { label: 'fraud', score: 0.93, scores: [0.07, 0.93], confidence: 0.93 },
          origin: { source: 'good/model-telemetry-request-kserve.json', position: 1 },
        },
      ],
      deadLetters: [],
    });
  });

  it('maps a Triton interval record with counts and latency quantiles', () => {
    expect(parseFixture('good/model-telemetry-interval-triton.json').records).toStrictEqual([
      {
        kind: 'model-telemetry',
        timestamp: ms('2025-03-14T09:27:00Z'),
        granularity: 'interval',
        windowSeconds: 15,
        model: { name: 'resnet50', version: '3', namespace: 'vision', servingSystem: 'triton' },
        counts: { requests: 1200, success: 1194, failure: 6, inferences: 9600, executions: 1200 },
        latencyMs: { total: 12.4, queue: 1.1, predict: 10.2, p50: 11, p95: 19.5, p99: 31.2 },
        origin: { source: 'good/model-telemetry-interval-triton.json', position: 1 },
      },
    ]);
  });

  it('reads a numeric class label as its decimal text', () => {
    const text = JSON.stringify({
      schema: 'model_telemetry.v1',
      ts: '2025-03-14T09:26:53Z',
      kind: 'request',
      model: { name: 'digits' },
      prediction: { label: 7 },
    });
    expect(parseMessage(text, { source: 't', position: 1 }).records[0]).toMatchObject({ prediction: { label: '7' } });
  });

  it('carries the Kubernetes metadata of the envelope it came in', () => {
    const line = fixture('good/model-telemetry-interval-triton.json').trim();
    const message = JSON.stringify({
      log: line,
      kubernetes: { namespace_name: 'vision', pod_name: 'triton-0', container_name: 'bridge' },
    });
    expect(parseMessage(message, { source: 't', position: 1 }).records[0]).toMatchObject({
      kind: 'model-telemetry',
      kubernetes: { namespace: 'vision', pod: 'triton-0', container: 'bridge' },
    });
  });

  it.each([
    {
      file: 'bad/model-telemetry-unknown-keys.json',
      reason: "model_telemetry.v1: unknown key 'colour' in 'model'; unknown key 'gpu' in 'latency_ms'; unknown key 'tenant'",
    },
    {
      file: 'bad/model-telemetry-wrong-types.json',
      reason:
        'model_telemetry.v1: ' +
        "'ts': Invalid ISO datetime (got \"yesterday\"); " +
        "'kind': Invalid option: expected one of \"request\"|\"interval\" (got \"batch\"); " +
        "'model.name': Too small: expected string to have >=1 characters (got \"\"); " +
        "'status_code': Invalid input: expected int, received number (got 200.5); " +
        "'latency_ms.total': Invalid input: expected number, received string (got \"41\"); " +
        "'prediction.confidence': Too big: expected number to be <=1 (got 1.7)",
    },
    {
      file: 'bad/model-telemetry-interval-without-window.json',
      reason:
        "model_telemetry.v1: 'counts.requests': Too small: expected number to be >=0 (got -3); " +
        "'window_s' is required when kind is interval",
    },
    { file: 'bad/model-telemetry-missing-model.json', reason: "model_telemetry.v1: 'model' is required" },
  ])('dead-letters $file as a schema violation naming every problem', ({ file, reason }) => {
    const raw = fixture(file);
    expect(parseFixture(file)).toStrictEqual({
      records: [],
      deadLetters: [{ reason, code: 'schema-violation', raw, origin: { source: file, position: 1 } }],
    });
  });
});

describe('drift_metric.v1', () => {
  it.each([
    {
      file: 'good/drift-metric-evidently-column.json',
      expected: {
        timestamp: ms('2025-03-14T10:00:00Z'),
        model: { name: 'fraud-detector', version: 'v7', namespace: 'ml-prod' },
        tool: 'evidently',
        toolVersion: '0.4.40',
        feature: 'transaction_amount',
        method: 'wasserstein',
        statistic: 0.142,
        threshold: 0.1,
        thresholdKind: 'distance_above',
        driftDetected: true,
        window: { start: ms('2025-03-14T09:00:00Z'), end: ms('2025-03-14T10:00:00Z'), nReference: 5000, nCurrent: 4210 },
      },
    },
    {
      file: 'good/drift-metric-evidently-dataset.json',
      expected: {
        timestamp: ms('2025-03-14T10:00:00Z'),
        model: { name: 'fraud-detector', version: 'v7', namespace: 'ml-prod' },
        tool: 'evidently',
        toolVersion: '0.4.40',
        feature: '__dataset__',
        method: 'other',
        statistic: 0.375,
        threshold: 0.5,
        thresholdKind: 'distance_above',
        driftDetected: false,
        shareOfDriftedColumns: 0.375,
        dataset: { numberOfColumns: 8, numberOfDriftedColumns: 3, shareOfDriftedColumns: 0.375, driftShare: 0.5 },
      },
    },
    {
      file: 'good/drift-metric-nannyml-chunk.json',
      expected: {
        timestamp: ms('2025-03-14T10:05:00Z'),
        model: { name: 'churn', namespace: 'ml-prod' },
        tool: 'nannyml',
        toolVersion: '0.12.1',
        feature: 'tenure_months',
        method: 'jensen_shannon',
        statistic: 0.31,
        thresholdKind: 'outside_band',
        upperThreshold: 0.18,
        driftDetected: true,
        window: { start: ms('2025-03-07T00:00:00Z'), end: ms('2025-03-14T00:00:00Z'), chunkKey: '[35000:39999]' },
      },
    },
    {
      file: 'good/drift-metric-alibi-ks.json',
      expected: {
        timestamp: ms('2025-03-14T10:10:00Z'),
        model: { name: 'resnet50', version: '3', namespace: 'vision' },
        tool: 'alibi-detect',
        toolVersion: '0.12.0',
        feature: 'embedding_17',
        method: 'ks',
        statistic: 0.081,
        pValue: 0.0004,
        threshold: 0.05,
        thresholdKind: 'p_value_below',
        driftDetected: true,
      },
    },
  ])('maps $file (null p-value and thresholds read as absent)', ({ file, expected }) => {
    expect(parseFixture(file)).toStrictEqual({
      records: [{ kind: 'drift-metric', ...expected, origin: { source: file, position: 1 } }],
      deadLetters: [],
    });
  });

  it.each([
    { file: 'bad/drift-metric-unknown-key.json', reason: "drift_metric.v1: unknown key 'size' in 'window'" },
    {
      file: 'bad/drift-metric-wrong-types.json',
      reason:
        'drift_metric.v1: ' +
        "'method': Invalid option: expected one of \"psi\"|\"ks\"|\"chi2\"|\"z\"|\"wasserstein\"|\"jensen_shannon\"|" +
        '"hellinger"|"l_infinity"|"mmd"|"cvm"|"lsdd"|"other" (got "kolmogorov_smirnov"); ' +
        "'statistic': Invalid input: expected number, received string (got \"0.081\"); " +
        "'p_value': Too big: expected number to be <=1 (got 2); " +
        "'drift_detected': Invalid input: expected boolean, received number (got 1)",
    },
    {
      file: 'bad/drift-metric-inconsistent.json',
      reason:
        "drift_metric.v1: 'window.end' is before window.start (got \"2025-03-14T09:00:00Z\"); " +
        "'dataset.number_of_drifted_columns' is greater than dataset.number_of_columns (got 6)",
    },
  ])('dead-letters $file as a schema violation naming every problem', ({ file, reason }) => {
    expect(parseFixture(file).deadLetters).toStrictEqual([
      { reason, code: 'schema-violation', raw: fixture(file), origin: { source: file, position: 1 } },
    ]);
  });
});
