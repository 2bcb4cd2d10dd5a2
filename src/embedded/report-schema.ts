/**
 * The schema of what `meshwarden run --report` writes, for tools that read it: a SIEM import, a
 * ticket bot, a dashboard. The committed JSON Schema (`schemas/run-report.v1.json`, `npm run
 * schemas`, `meshwarden schema run-report`) is generated from it, and tests hold the engine's own
 * reports to it, so the published file cannot drift from what the engine writes.
 */
import { z } from 'zod';
import type { RunReport } from './run-embedded.js';

/**
 * The report's format version. It moves when a field is removed, renamed or changes meaning; new
 * optional fields do not move it (readers should ignore what they do not know, although this
 * schema, being the engine's own contract, lists every field).
 */
export const REPORT_VERSION = 1;

const isoTime = z.iso.datetime().describe('UTC time, ISO 8601 with milliseconds');
const count = z.number().int().nonnegative();
const score = z.number().describe('in [0, 1)');
/** Strings here may carry what a client wrote (entity names, evidence details): escape them where they are shown. */
const clientText = (description: string): z.ZodString => z.string().describe(`${description}; may hold client-written text`);

const evidenceSchema = z.strictObject({
  feature: z.string().describe('the feature (or Falco rule) that crossed'),
  observed: z.number(),
  expected: z.number(),
  spread: z.number(),
  score,
  details: z.array(clientText('supporting detail, e.g. a new edge or a drifted feature')).optional(),
});

const anomalySchema = z.strictObject({
  id: z.string(),
  detector: z.string(),
  severity: z.enum(['info', 'low', 'medium', 'high', 'critical']),
  entity: clientText('the entity key, `<kind>:<name>`'),
  score,
  windowStart: isoTime,
  windowEnd: isoTime,
  evidence: z.array(evidenceSchema),
});

const incidentSchema = z.strictObject({
  id: z.string(),
  entity: clientText('the entity key; `breaker:<detector>` for a breaker that suspended automatic action'),
  openedAt: isoTime,
  lastSeen: isoTime,
  detectors: z.array(z.string()),
  anomalies: count,
  maxScore: score,
  caseId: z.string().optional(),
  caseRoot: clientText('the case\'s root entity key').optional(),
});

const caseSchema = z.strictObject({
  id: z.string(),
  root: clientText('the root entity key: where the case started'),
  openedAt: isoTime,
  lastSeen: isoTime,
  incidents: z.array(z.string()).describe('its incidents\' ids, oldest first'),
  entities: z.array(clientText('an entity key')),
  detectors: z.array(z.string()),
  anomalies: count,
  maxScore: score,
});

const actionSchema = z.strictObject({
  index: count.describe('the step\'s position in its playbook'),
  step: z.string(),
  action: z.string().describe('the action id, `<provider>.<verb>-<object>`'),
  target: clientText('what the step acts on, as text'),
  targetRef: z.strictObject({ kind: z.string(), namespace: z.string().optional(), name: z.string() }).optional(),
  outcome: z.enum(['succeeded', 'already-done', 'dry-run', 'refused', 'failed', 'skipped', 'approved', 'denied', 'silenced', 'covered']),
  description: clientText('what was (or would be) done, or why not'),
  reason: z.string().optional(),
  at: isoTime,
  durationMs: z.number().nonnegative().optional(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  policy: z.strictObject({
    decision: z.enum(['allow', 'deny', 'fail-open', 'fail-closed']),
    reasons: z.array(z.string()),
    cached: z.boolean().optional(),
  }).optional(),
  playbook: z.string(),
  anomalyId: z.string(),
  incidentId: z.string(),
  caseId: z.string().optional(),
});

const breakerSchema = z.strictObject({
  detector: z.string(),
  share: z.number().describe('the share of trusted sources the detector flagged'),
  scored: count,
  sources: count,
  windowEnd: isoTime,
  until: isoTime,
});

/** What `meshwarden run --report <file>` writes. */
export const runReportSchema = z.strictObject({
  reportVersion: z.literal(REPORT_VERSION).describe('the format version of this report'),
  input: z.string().describe('the file replayed, or - for stdin'),
  messages: count,
  records: count,
  parsed: count,
  deadLettered: count,
  deadLettersByCode: z.record(z.string(), count),
  late: count,
  future: count,
  unattributed: count,
  unnamedCallers: count.describe('access-log lines whose caller had no valid address: counted, never named'),
  windows: count.describe('entity windows scored'),
  inputError: z.strictObject({ code: z.string(), message: z.string() }).optional().describe('set when reading stopped early; what was read is in the report'),
  anomalies: z.array(anomalySchema),
  incidents: z.array(incidentSchema),
  cases: z.array(caseSchema),
  actions: z.array(actionSchema),
  breakers: z.array(breakerSchema),
  ledger: z.strictObject({ path: z.string(), lastSeq: count }),
  deadLetterFile: z.string(),
}).describe('The report of one `meshwarden run`: what was read, detected, grouped and (in dry-run) would be done');

type DeepReadonly<T> = T extends readonly (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
// The compiler checks that every report the engine builds is one this schema describes; the tests
// check the other way (the strict schema refuses any key it does not list) on real reports.
type Describes<T extends DeepReadonly<z.input<typeof runReportSchema>>> = T;
/** The engine's report type, held by the compiler to the schema. */
export type CheckedRunReport = Describes<RunReport>;

/** The report's JSON Schema (draft-07), as committed in `schemas/run-report.v1.json`. */
export function runReportJsonSchema(): Readonly<Record<string, unknown>> {
  return {
    $id: `https://meshwarden.io/schemas/${RUN_REPORT_SCHEMA_FILE.slice('schemas/'.length)}`,
    ...z.toJSONSchema(runReportSchema, { io: 'output', target: 'draft-7' }),
  };
}

/** Where the committed copy lives. */
export const RUN_REPORT_SCHEMA_FILE = 'schemas/run-report.v1.json';
