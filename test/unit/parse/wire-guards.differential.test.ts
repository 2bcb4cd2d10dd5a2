import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DRIFT_METRIC_SCHEMA, driftMetricSchema, parseDriftMetric } from '../../../src/parse/drift-metric-schema.js';
import { formatSchemaIssues } from '../../../src/parse/format-schema-issues.js';
import { isDriftMetricWire } from '../../../src/parse/is-drift-metric-wire.js';
import { isModelTelemetryWire } from '../../../src/parse/is-model-telemetry-wire.js';
import { MODEL_TELEMETRY_SCHEMA, modelTelemetrySchema, parseModelTelemetry } from '../../../src/parse/model-telemetry-schema.js';

// The hand-written guards skip zod for records that are certainly valid. They must never accept
// what the schema rejects, must accept exactly what the schema would output, and must leave every
// rejection (and its wording) to the schema.

const RECORDS = new URL('../../fixtures/records/', import.meta.url);
const origin = { source: 'differential', position: 3 };

function fixtures(dir: 'good' | 'bad', prefix: string): unknown[] {
  return readdirSync(new URL(`${dir}/`, RECORDS))
    .filter((name) => name.startsWith(prefix))
    .map((name) => JSON.parse(readFileSync(new URL(`${dir}/${name}`, RECORDS), 'utf8')) as unknown);
}

/** A value that is sometimes right for a key and often wrong in a way a schema cares about. */
const junk = fc.oneof(
  fc.constantFrom(null, true, false, '', '-', 0, -0, -1, 0.5, 1, 1.5, 100, 101, 999, 1000, 2 ** 53, -1e-9, 1e308),
  fc.constantFrom('2025-03-14T09:27:00Z', '2025-03-14T09:27:00.123456+02:00', '2025-02-29T00:00:00Z', '2024-02-29T23:59:60Z', '2025-03-14 09:27:00Z', 'yesterday'),
  fc.constantFrom([], [0.1, 0.9], [0.1, '0.9'], {}, { name: 'm' }),
  fc.string({ maxLength: 6 }),
  fc.double(),
);
/** `good` most of the time, else junk: records near the valid shape, on both sides of it. */
const mostly = <T,>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 40, arbitrary: good }, { weight: 1, arbitrary: junk });
const name = fc.constantFrom('fraud-detector', 'resnet50', 'm', 'v3');
const ts = fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString());
const ms = fc.double({ min: 0, max: 1e5, noNaN: true });
const count = fc.nat({ max: 100_000 });
const share = fc.double({ min: 0, max: 1, noNaN: true });
/** Adds, sometimes, a key that no schema knows. */
const withStray = (record: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> =>
  fc.tuple(record, fc.oneof({ weight: 30, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('colour', 'tenant', '__proto__', 'toString') })).map(([r, stray]) =>
    stray === null ? r : { ...r, ...(JSON.parse(`{"${stray}": 1}`) as Record<string, unknown>) },
  );

const telemetry = withStray(
  fc.record(
    {
      schema: fc.oneof({ weight: 20, arbitrary: fc.constant(MODEL_TELEMETRY_SCHEMA) }, { weight: 1, arbitrary: junk }),
      ts: mostly(ts),
      kind: mostly(fc.constantFrom('request', 'interval')),
      window_s: mostly(fc.constantFrom(15, 60, 0.5)),
      model: withStray(
        fc.record(
          {
            name: mostly(name),
            version: mostly(fc.constantFrom('v1', '3')),
            namespace: mostly(fc.constantFrom('ml-prod')),
            serving_system: mostly(fc.constantFrom('kserve', 'seldon', 'triton', 'bentoml', 'mlserver', 'other')),
            component: mostly(fc.constantFrom('predictor', 'transformer', 'explainer')),
            revision: mostly(fc.constantFrom('r-00001')),
            pod: mostly(fc.constantFrom('pod-0')),
            traffic_percent: mostly(fc.double({ min: 0, max: 100, noNaN: true })),
          },
          { requiredKeys: ['name'] },
        ),
      ),
      request_id: mostly(fc.uuid()),
      status_code: mostly(fc.integer({ min: 0, max: 999 })),
      counts: withStray(
        fc.record({ requests: mostly(count), success: mostly(count), failure: mostly(count), inferences: mostly(count), executions: mostly(count) }, { requiredKeys: [] }),
      ),
      latency_ms: withStray(
        fc.record(
          { total: mostly(ms), queue: mostly(ms), preprocess: mostly(ms), predict: mostly(ms), postprocess: mostly(ms), p50: mostly(ms), p95: mostly(ms), p99: mostly(ms) },
          { requiredKeys: [] },
        ),
      ),
      prediction: withStray(
        fc.record(
          {
            label: mostly(fc.oneof(fc.constantFrom('fraud', 'ok'), fc.integer())),
            score: mostly(fc.double({ noNaN: true, noDefaultInfinity: true })),
            scores: mostly(fc.array(share, { maxLength: 4 })),
            confidence: mostly(share),
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: ['schema', 'ts', 'kind', 'model'] },
  ),
);

const drift = withStray(
  fc.record(
    {
      schema: fc.oneof({ weight: 20, arbitrary: fc.constant(DRIFT_METRIC_SCHEMA) }, { weight: 1, arbitrary: junk }),
      ts: mostly(ts),
      model: withStray(fc.record({ name: mostly(name), version: mostly(fc.constantFrom('v3')), namespace: mostly(fc.constantFrom('ml-prod')) }, { requiredKeys: ['name'] })),
      window: withStray(
        fc.record(
          { start: mostly(ts), end: mostly(ts), chunk_key: mostly(fc.constantFrom('[0:4999]')), n_reference: mostly(count), n_current: mostly(count) },
          { requiredKeys: [] },
        ),
      ),
      tool: mostly(fc.constantFrom('evidently', 'nannyml', 'alibi-detect', 'custom')),
      tool_version: mostly(fc.constantFrom('0.4.33', '0.7.1')),
      feature: mostly(fc.constantFrom('amount', '__dataset__')),
      method: mostly(fc.constantFrom('psi', 'ks', 'chi2', 'z', 'wasserstein', 'jensen_shannon', 'hellinger', 'l_infinity', 'mmd', 'cvm', 'lsdd', 'other')),
      statistic: mostly(fc.double({ noNaN: true, noDefaultInfinity: true })),
      p_value: mostly(fc.oneof(share, fc.constant(null))),
      threshold: mostly(fc.double({ noNaN: true, noDefaultInfinity: true })),
      threshold_kind: mostly(fc.constantFrom('p_value_below', 'distance_above', 'outside_band')),
      upper_threshold: mostly(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null))),
      lower_threshold: mostly(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null))),
      drift_detected: mostly(fc.boolean()),
      dataset: withStray(
        fc.record(
          { number_of_columns: mostly(count), number_of_drifted_columns: mostly(count), share_of_drifted_columns: mostly(share), drift_share: mostly(share) },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: ['schema', 'ts', 'model', 'feature', 'method', 'statistic', 'drift_detected'] },
  ),
);

const FORMATS = [
  {
    name: MODEL_TELEMETRY_SCHEMA,
    guard: isModelTelemetryWire,
    schema: modelTelemetrySchema,
    parse: parseModelTelemetry,
    records: telemetry,
    good: fixtures('good', 'model-telemetry'),
    bad: fixtures('bad', 'model-telemetry'),
  },
  {
    name: DRIFT_METRIC_SCHEMA,
    guard: isDriftMetricWire,
    schema: driftMetricSchema,
    parse: parseDriftMetric,
    records: drift,
    good: fixtures('good', 'drift-metric'),
    bad: fixtures('bad', 'drift-metric'),
  },
] as const;

describe.each(FORMATS)('the $name guard against its zod schema', ({ name, guard, schema, parse, records, good, bad }) => {
  it('accepts every good fixture and rejects every bad one', () => {
    expect(good.length).toBeGreaterThan(0);
    expect(bad.length).toBeGreaterThan(0);
    for (const value of good) expect(guard(value)).toBe(true);
    for (const value of bad) expect(guard(value)).toBe(false);
  });

  it('on 5,000 generated records: accepts only what zod outputs unchanged, and leaves every rejection to zod', () => {
    const tally = { guarded: 0, validByZodOnly: 0, invalid: 0 };
    fc.assert(
      fc.property(records, (generated) => {
        // As the parsers receive it: decoded JSON.
        const value = JSON.parse(JSON.stringify(generated)) as unknown;
        const result = schema.safeParse(value, { reportInput: true });
        if (guard(value)) {
          tally.guarded++;
          expect(result.success).toBe(true);
          expect(result.data).toStrictEqual(value);
        } else if (result.success) {
          tally.validByZodOnly++;
        } else {
          tally.invalid++;
          expect(parse(value, origin)).toStrictEqual({
            kind: 'rejected',
            code: 'schema-violation',
            reason: formatSchemaIssues(name, result.error.issues),
          });
        }
      }),
      { numRuns: 5_000, seed: 20_241_107 },
    );
    // Both sides are exercised, and the guard takes (nearly) every record zod would accept.
    expect(tally.guarded).toBeGreaterThan(500);
    expect(tally.invalid).toBeGreaterThan(500);
    expect(tally.validByZodOnly).toBeLessThanOrEqual(tally.guarded / 100);
  });
});
