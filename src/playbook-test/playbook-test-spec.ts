import { z } from 'zod';
import { ENTITY_KINDS } from '../features/entity.js';
import { playbookVarOverridesSchema } from '../playbook/playbook-vars.js';
import { durationSchema } from '../shared/duration.js';

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** An event time as written in a test: an ISO 8601 instant with its zone, e.g. `2026-11-02T08:00:00Z`. */
const instantSchema = z
  .string()
  .describe('an ISO 8601 instant with its zone, e.g. "2026-11-02T08:00:00Z"')
  .transform((text, ctx) => {
    const ms = /(Z|[+-]\d\d:\d\d)$/.test(text) ? Date.parse(text) : Number.NaN;
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'not an instant; write an ISO 8601 time with its zone, e.g. "2026-11-02T08:00:00Z"' });
      return z.NEVER;
    }
    return ms;
  });

/** An entity key the way the engine writes it (`pod:ml-prod/inference-7d9c8b6f5-x2k4p`). */
const entityKeySchema = z
  .string()
  .regex(
    new RegExp(`^(${ENTITY_KINDS.join('|')}):[^\\s]+$`),
    'an entity key: "workload:<namespace>/<name>", "pod:<namespace>/<pod>", "principal:<name>" or "model:<namespace>/<model>@<version>"',
  )
  .describe('an entity key as the engine writes it, e.g. "pod:ml-prod/inference-7d9c8b6f5-x2k4p"');

const evidenceSchema = z
  .object({
    feature: z.string().min(1).describe('the feature that crossed, e.g. "egress_bytes"'),
    observed: z.number(),
    expected: z.number().default(0),
    spread: z.number().min(0).default(0),
    details: z.array(z.string()).max(50).optional(),
  })
  .strict();

/** An anomaly fed to triage and the playbooks directly, as if a detector had raised it. */
const anomalyInputSchema = z
  .object({
    detector: z.string().min(1).describe('the detector that raised it (metadata.name)'),
    entity: entityKeySchema,
    labels: z.record(z.string(), z.string()).optional().describe('labels of the entity, for triggers that match on labels'),
    identity: z.enum(['ip', 'mesh', 'unresolved']).optional().describe('how a principal\'s name was established (default "ip" for an address, else "unresolved")'),
    window: instantSchema.describe('start of the anomalous window'),
    score: z.number().min(0).lt(1),
    severity: z.enum(SEVERITIES).optional().describe('default: the detector\'s own severity'),
    evidence: z.array(evidenceSchema).max(50).optional(),
  })
  .strict();

/**
 * A line of input (an access log line, a telemetry or drift record), written `count` times from
 * `at`, every `every`; `{{ time }}` in the line becomes the event time of each copy (ISO 8601) and
 * `{{ epoch }}` the same time in seconds, so a baseline of normal traffic takes one entry.
 */
const recordInputSchema = z
  .object({
    line: z.string().min(1).max(64 * 1024),
    at: instantSchema.describe('event time of the first copy'),
    every: durationSchema.optional().describe('time between copies (required when count > 1)'),
    count: z.number().int().min(1).max(100_000).default(1),
  })
  .strict()
  .refine((r) => r.count === 1 || r.every !== undefined, { message: 'set "every" to space the copies in time', path: ['every'] });

const expectedAnomalySchema = z
  .object({
    detector: z.string().min(1).optional(),
    entity: z.string().min(1).optional(),
    window: instantSchema.optional().describe('start of the window'),
  })
  .strict();

const expectedIncidentSchema = z
  .object({
    entity: z.string().min(1).optional(),
    detectors: z.array(z.string().min(1)).optional().describe('every detector that flagged the incident, in any order'),
  })
  .strict();

const expectedActionSchema = z
  .object({
    playbook: z.string().min(1).optional(),
    step: z.string().min(1).optional().describe('the step\'s name (its action id when it has none)'),
    action: z.string().min(1).optional(),
    target: z.string().min(1).optional().describe('the target as reported, e.g. "pod ml-prod/inference-7d9c8b6f5-x2k4p"'),
    outcome: z.enum(['succeeded', 'already-done', 'dry-run', 'refused', 'failed', 'skipped', 'approved', 'denied']).optional(),
  })
  .strict();

/**
 * What a case expects. A list given is compared whole: every expected item must match something
 * that happened, and everything that happened must match an expected item (`actions: []` means
 * none). A field left out matches any value. A list not given is not checked.
 */
const expectSchema = z
  .object({
    anomalies: z.array(expectedAnomalySchema).optional(),
    incidents: z.array(expectedIncidentSchema).optional(),
    actions: z.array(expectedActionSchema).optional(),
  })
  .strict()
  .refine((e) => e.anomalies !== undefined || e.incidents !== undefined || e.actions !== undefined, {
    message: 'expect nothing is a test that cannot fail; list the anomalies, incidents or actions expected ([] for none)',
  });

const testCaseSchema = z
  .object({
    name: z.string().min(1).max(200),
    input: z
      .object({
        records: z.array(recordInputSchema).max(1000).optional(),
        anomalies: z.array(anomalyInputSchema).max(10_000).optional(),
      })
      .strict()
      .refine((i) => (i.records?.length ?? 0) + (i.anomalies?.length ?? 0) > 0, { message: 'give the case some input: records or anomalies' }),
    expect: expectSchema,
  })
  .strict();

/** A file of playbook tests (`meshwarden test`), kept beside the playbooks under `playbooks/tests/`. */
export const playbookTestSchema = z
  .object({
    apiVersion: z.literal('meshwarden.io/v1'),
    kind: z.literal('PlaybookTest'),
    metadata: z
      .object({
        name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'use lowercase letters, digits and dashes, e.g. "quarantine-on-exfiltration"'),
        description: z.string().optional(),
      })
      .strict(),
    spec: z
      .object({
        playbooks: z.array(z.string().min(1)).min(1).describe('the playbooks under test (metadata.name); only these run'),
        detectors: z.array(z.string().min(1)).min(1).optional().describe('the detectors that score records (default: those the playbooks\' triggers name)'),
        window: durationSchema.pipe(z.number().min(1000).max(3_600_000)).default(60_000).describe('feature window length'),
        playbookVars: playbookVarOverridesSchema.optional().describe('values for the playbooks\' spec.vars, as an install sets them under playbookVars in its service config'),
        tests: z.array(testCaseSchema).min(1).max(200),
      })
      .strict(),
  })
  .strict();

export type PlaybookTestSpec = z.infer<typeof playbookTestSchema>;
export type PlaybookTestCase = PlaybookTestSpec['spec']['tests'][number];
export type AnomalyInput = NonNullable<PlaybookTestCase['input']['anomalies']>[number];
export type RecordInput = NonNullable<PlaybookTestCase['input']['records']>[number];
export type Expectations = PlaybookTestCase['expect'];
