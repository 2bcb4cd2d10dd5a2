/**
 * `model_telemetry.v1`: model-serving telemetry, per request or per interval, as it arrives on the
 * wire (snake_case JSON), and its mapping to {@link ModelTelemetryRecord}. The names follow what
 * KServe, Seldon/MLServer, Triton and BentoML export, so that a bridge from their metrics or
 * payload loggers is a rename, not a computation (docs/input-formats.md has the mapping).
 */
import { z } from 'zod';
import { reject, type Rejection } from './access-log-context.js';
import { definedEntries as pick } from './defined-entries.js';
import { formatSchemaIssues } from './format-schema-issues.js';
import { isModelTelemetryWire } from './is-model-telemetry-wire.js';
import { parseTimestamp } from './parse-timestamp.js';
import type { KubernetesMeta, ModelTelemetryRecord, RecordOrigin } from './records.js';

/** The value of the `schema` key that selects this format. */
export const MODEL_TELEMETRY_SCHEMA = 'model_telemetry.v1';

const count = z.number().int().nonnegative();
const milliseconds = z.number().nonnegative();

/** The wire schema (strict: an unknown key anywhere is a violation). */
export const modelTelemetrySchema = z
  .object({
    schema: z.literal(MODEL_TELEMETRY_SCHEMA),
    ts: z.iso
      .datetime({ offset: true })
      .describe('End of the request, or of the interval, as an RFC 3339 timestamp'),
    kind: z
      .enum(['request', 'interval'])
      .describe('request: one inference request; interval: aggregated over window_s seconds'),
    window_s: z.number().positive().optional().describe('Interval length in seconds; required when kind is interval'),
    model: z
      .object({
        name: z.string().min(1),
        version: z.string().min(1).optional(),
        namespace: z.string().min(1).optional(),
        serving_system: z.enum(['kserve', 'seldon', 'triton', 'bentoml', 'mlserver', 'other']).optional(),
        component: z.enum(['predictor', 'transformer', 'explainer']).optional(),
        revision: z.string().min(1).optional().describe('Knative / KServe revision serving the request'),
        pod: z.string().min(1).optional(),
        traffic_percent: z.number().min(0).max(100).optional().describe('Share of traffic this revision receives'),
      })
      .strict(),
    request_id: z.string().min(1).optional().describe('X-REQUEST-ID / CloudEvent id, joins with access logs'),
    status_code: z.number().int().min(0).max(999).optional(),
    counts: z
      .object({
        requests: count.optional(),
        success: count.optional(),
        failure: count.optional(),
        inferences: count.optional().describe('Batch elements inferred (Triton nv_inference_count)'),
        executions: count.optional().describe('Model executions (Triton nv_inference_exec_count)'),
      })
      .strict()
      .optional(),
    latency_ms: z
      .object({
        total: milliseconds.optional(),
        queue: milliseconds.optional(),
        preprocess: milliseconds.optional(),
        predict: milliseconds.optional(),
        postprocess: milliseconds.optional(),
        p50: milliseconds.optional(),
        p95: milliseconds.optional(),
        p99: milliseconds.optional(),
      })
      .strict()
      .optional(),
    prediction: z
      .object({
        label: z.union([z.string(), z.number()]).optional().describe('Predicted class; a number is read as its decimal text'),
        score: z.number().optional(),
        scores: z.array(z.number()).optional().describe('Per-class scores in the model class order'),
        confidence: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.kind === 'interval' && value.window_s === undefined) {
      ctx.addIssue({ code: 'custom', path: ['window_s'], message: 'is required when kind is interval' });
    }
  })
  .meta({
    title: 'model_telemetry.v1',
    description: 'Model-serving telemetry, per request or per interval (meshwarden input format)',
  });

/** A `model_telemetry.v1` message as it is on the wire. */
export type ModelTelemetryWire = z.infer<typeof modelTelemetrySchema>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Validates one decoded JSON value against `model_telemetry.v1` and maps it to a record. Returns a
 * `schema-violation` rejection listing every problem (unknown keys with their path, wrong types
 * with the value) otherwise.
 */
export function parseModelTelemetry(
  value: unknown,
  origin: RecordOrigin,
  kubernetes?: KubernetesMeta,
): ModelTelemetryRecord | Rejection {
  let wire: ModelTelemetryWire;
  if (isModelTelemetryWire(value)) {
    wire = value;
  } else {
    // Off the hot path: the schema decides, and names every problem.
    const result = modelTelemetrySchema.safeParse(value, { reportInput: true });
    if (!result.success) return reject('schema-violation', formatSchemaIssues(MODEL_TELEMETRY_SCHEMA, result.error.issues));
    wire = result.data;
  }
  const timestamp = parseTimestamp(wire.ts);
  if (timestamp === undefined) {
    return reject('schema-violation', `${MODEL_TELEMETRY_SCHEMA}: 'ts': not a valid date ${JSON.stringify(wire.ts)}`);
  }
  const m = wire.model;
  const model = pick<ModelTelemetryRecord['model']>([
    ['name', m.name],
    ['version', m.version],
    ['namespace', m.namespace],
    ['servingSystem', m.serving_system],
    ['component', m.component],
    ['revision', m.revision],
    ['pod', m.pod],
    ['trafficPercent', m.traffic_percent],
  ]) ?? { name: m.name };
  const record: Mutable<ModelTelemetryRecord> = {
    kind: 'model-telemetry',
    timestamp,
    granularity: wire.kind,
    model,
    origin,
  };
  if (wire.window_s !== undefined) record.windowSeconds = wire.window_s;
  if (wire.request_id !== undefined) record.requestId = wire.request_id;
  if (wire.status_code !== undefined) record.statusCode = wire.status_code;
  if (wire.counts !== undefined) {
    const c = wire.counts;
    const counts = pick<NonNullable<ModelTelemetryRecord['counts']>>([
      ['requests', c.requests],
      ['success', c.success],
      ['failure', c.failure],
      ['inferences', c.inferences],
      ['executions', c.executions],
    ]);
    if (counts !== undefined) record.counts = counts;
  }
  if (wire.latency_ms !== undefined) {
    const l = wire.latency_ms;
    const latency = pick<NonNullable<ModelTelemetryRecord['latencyMs']>>([
      ['total', l.total],
      ['queue', l.queue],
      ['preprocess', l.preprocess],
      ['predict', l.predict],
      ['postprocess', l.postprocess],
      ['p50', l.p50],
      ['p95', l.p95],
      ['p99', l.p99],
    ]);
    if (latency !== undefined) record.latencyMs = latency;
  }
  if (wire.prediction !== undefined) {
    const p = wire.prediction;
    const prediction = pick<NonNullable<ModelTelemetryRecord['prediction']>>([
      ['label', p.label === undefined ? undefined : String(p.label)],
      ['score', p.score],
      ['scores', p.scores],
      ['confidence', p.confidence],
    ]);
    if (prediction !== undefined) record.prediction = prediction;
  }
  if (kubernetes !== undefined) record.kubernetes = kubernetes;
  return record;
}
