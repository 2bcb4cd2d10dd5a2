/**
 * `drift_metric.v1`: one drift statistic for one model feature over one window, as it arrives on
 * the wire (snake_case JSON), and its mapping to {@link DriftMetricRecord}. One record per
 * (feature, method): Evidently's `drift_by_columns`, NannyML's per-column results and Alibi
 * Detect's per-feature p-values all flatten to it (docs/input-formats.md has the mapping).
 */
import { z } from 'zod';
import { reject, type Rejection } from './access-log-context.js';
import { definedEntries } from './defined-entries.js';
import { formatSchemaIssues } from './format-schema-issues.js';
import { isDriftMetricWire } from './is-drift-metric-wire.js';
import { parseTimestamp } from './parse-timestamp.js';
import type { DriftMetricRecord, KubernetesMeta, RecordOrigin } from './records.js';

/** The value of the `schema` key that selects this format. */
export const DRIFT_METRIC_SCHEMA = 'drift_metric.v1';

const timestamp = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1);

/** The wire schema (strict: an unknown key anywhere is a violation). */
export const driftMetricSchema = z
  .object({
    schema: z.literal(DRIFT_METRIC_SCHEMA),
    ts: timestamp.describe('When the statistic was computed, as an RFC 3339 timestamp'),
    model: z
      .object({
        name: z.string().min(1),
        version: z.string().min(1).optional(),
        namespace: z.string().min(1).optional(),
      })
      .strict(),
    window: z
      .object({
        start: timestamp.optional(),
        end: timestamp.optional(),
        chunk_key: z.string().min(1).optional().describe('NannyML chunk key, e.g. [0:4999]'),
        n_reference: count.optional(),
        n_current: count.optional(),
      })
      .strict()
      .optional(),
    tool: z.enum(['evidently', 'nannyml', 'alibi-detect', 'custom']).optional(),
    tool_version: z.string().min(1).optional().describe('Pin it: Evidently >= 0.7 renamed its outputs'),
    feature: z.string().min(1).describe('Column name, or __dataset__ / __prediction__'),
    method: z.enum([
      'psi',
      'ks',
      'chi2',
      'z',
      'wasserstein',
      'jensen_shannon',
      'hellinger',
      'l_infinity',
      'mmd',
      'cvm',
      'lsdd',
      'other',
    ]),
    statistic: z.number().describe('Evidently drift_score | NannyML value | Alibi distance or test_stat'),
    p_value: share.nullable().optional(),
    threshold: z.number().optional(),
    threshold_kind: z.enum(['p_value_below', 'distance_above', 'outside_band']).optional(),
    upper_threshold: z.number().nullable().optional(),
    lower_threshold: z.number().nullable().optional(),
    drift_detected: z.boolean().describe('Evidently drift_detected | NannyML alert | Alibi is_drift == 1'),
    dataset: z
      .object({
        number_of_columns: count.optional(),
        number_of_drifted_columns: count.optional(),
        share_of_drifted_columns: share.optional(),
        drift_share: share.optional().describe('Evidently dataset drift threshold (its default is 0.5)'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const w = value.window;
    if (w?.start !== undefined && w.end !== undefined && Date.parse(w.start) > Date.parse(w.end)) {
      ctx.addIssue({ code: 'custom', path: ['window', 'end'], message: 'is before window.start', input: w.end });
    }
    const d = value.dataset;
    if (
      d?.number_of_columns !== undefined &&
      d.number_of_drifted_columns !== undefined &&
      d.number_of_drifted_columns > d.number_of_columns
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'number_of_drifted_columns'],
        message: 'is greater than dataset.number_of_columns',
        input: d.number_of_drifted_columns,
      });
    }
  })
  .meta({
    title: 'drift_metric.v1',
    description: 'One drift statistic for one model feature over one window (meshwarden input format)',
  });

/** A `drift_metric.v1` message as it is on the wire. */
export type DriftMetricWire = z.infer<typeof driftMetricSchema>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function orUndefined(value: number | null | undefined): number | undefined {
  return value ?? undefined;
}

/**
 * Validates one decoded JSON value against `drift_metric.v1` and maps it to a record. Returns a
 * `schema-violation` rejection listing every problem otherwise. `null` p-values and thresholds
 * (NannyML writes them for methods without one) map to absent.
 */
export function parseDriftMetric(
  value: unknown,
  origin: RecordOrigin,
  kubernetes?: KubernetesMeta,
): DriftMetricRecord | Rejection {
  let wire: DriftMetricWire;
  if (isDriftMetricWire(value)) {
    wire = value;
  } else {
    // Off the hot path: the schema decides, and names every problem.
    const result = driftMetricSchema.safeParse(value, { reportInput: true });
    if (!result.success) return reject('schema-violation', formatSchemaIssues(DRIFT_METRIC_SCHEMA, result.error.issues));
    wire = result.data;
  }
  const ts = parseTimestamp(wire.ts);
  if (ts === undefined) {
    return reject('schema-violation', `${DRIFT_METRIC_SCHEMA}: 'ts': not a valid date ${JSON.stringify(wire.ts)}`);
  }
  const model = definedEntries<DriftMetricRecord['model']>([
    ['name', wire.model.name],
    ['version', wire.model.version],
    ['namespace', wire.model.namespace],
  ]) ?? { name: wire.model.name };
  const record: Mutable<DriftMetricRecord> = {
    kind: 'drift-metric',
    timestamp: ts,
    model,
    feature: wire.feature,
    method: wire.method,
    statistic: wire.statistic,
    driftDetected: wire.drift_detected,
    origin,
  };
  if (wire.tool !== undefined) record.tool = wire.tool;
  const pValue = orUndefined(wire.p_value);
  if (pValue !== undefined) record.pValue = pValue;
  if (wire.threshold !== undefined) record.threshold = wire.threshold;
  const share = wire.dataset?.share_of_drifted_columns;
  if (share !== undefined) record.shareOfDriftedColumns = share;
  if (wire.tool_version !== undefined) record.toolVersion = wire.tool_version;
  if (wire.threshold_kind !== undefined) record.thresholdKind = wire.threshold_kind;
  const upper = orUndefined(wire.upper_threshold);
  if (upper !== undefined) record.upperThreshold = upper;
  const lower = orUndefined(wire.lower_threshold);
  if (lower !== undefined) record.lowerThreshold = lower;
  if (wire.window !== undefined) {
    const w = wire.window;
    const window = definedEntries<NonNullable<DriftMetricRecord['window']>>([
      ['start', w.start === undefined ? undefined : parseTimestamp(w.start)],
      ['end', w.end === undefined ? undefined : parseTimestamp(w.end)],
      ['chunkKey', w.chunk_key],
      ['nReference', w.n_reference],
      ['nCurrent', w.n_current],
    ]);
    if (window !== undefined) record.window = window;
  }
  if (wire.dataset !== undefined) {
    const d = wire.dataset;
    const dataset = definedEntries<NonNullable<DriftMetricRecord['dataset']>>([
      ['numberOfColumns', d.number_of_columns],
      ['numberOfDriftedColumns', d.number_of_drifted_columns],
      ['shareOfDriftedColumns', d.share_of_drifted_columns],
      ['driftShare', d.drift_share],
    ]);
    if (dataset !== undefined) record.dataset = dataset;
  }
  if (kubernetes !== undefined) record.kubernetes = kubernetes;
  return record;
}
