/**
 * Falco alerts: the JSON Falco writes with `json_output: true`
 * (`{"output","priority","rule","time","output_fields",...,"source","tags","hostname"}`), directly
 * or as Falcosidekick forwards it (the same keys plus its `uuid`), to Kafka or a file. Only Falco's
 * own verdict (rule, priority, time) and the pod it attributed the event to are taken as facts;
 * every other field is what a process in the container did (its command line, the file it opened,
 * the user it ran as), which the attacker controls: kept as capped, escaped evidence, never read.
 */
import { z } from 'zod';
import { terminalText } from '../shared/terminal-text.js';
import { reject, type AccessLogContext, type Rejection } from './access-log-context.js';
import { formatSchemaIssues } from './format-schema-issues.js';
import { parseTimestamp } from './parse-timestamp.js';
import type { FalcoEventRecord, FalcoPriority } from './records.js';

/** Falco's priorities, most severe first (`falco_common::priority_type`). */
export const FALCO_PRIORITIES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'] as const;

/** The output fields kept as evidence, in this order; everything else Falco sent is counted, not kept. */
export const FALCO_EVIDENCE_FIELDS = [
  'proc.cmdline', 'proc.name', 'proc.pname', 'proc.exepath', 'user.name', 'user.loginuid', 'fd.name', 'fd.rip', 'fd.sip',
  'evt.type', 'container.name', 'container.image.repository', 'container.image.tag', 'k8s.ns.name', 'k8s.pod.name', 'container.id',
] as const;

/** Longest evidence value kept, in characters after escaping (a command line can be megabytes). */
export const MAX_FIELD_CHARS = 256;
/** Longest rule name accepted: Falco's shipped rules are under 80 characters. */
const MAX_RULE_CHARS = 200;
/** Most output fields one alert may carry; Falco rules emit a few dozen at most. */
const MAX_OUTPUT_FIELDS = 256;
/** Most tags kept. */
const MAX_TAGS = 16;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** A container id as Falco prints it: 12 hex characters (or the full 64), or `host`. */
const CONTAINER_ID = /^(?:[0-9a-f]{12}|[0-9a-f]{64}|host)$/;

const fieldValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number()])).max(64)]);

/** The wire schema (strict: a key neither Falco nor Falcosidekick writes is a violation). */
export const falcoEventSchema = z
  .object({
    output: z.string().max(64 * 1024),
    priority: z
      .string()
      .transform((p) => p.toLowerCase())
      .pipe(z.enum(FALCO_PRIORITIES)),
    rule: z.string().min(1).max(MAX_RULE_CHARS),
    time: z.string().min(1).max(64),
    output_fields: z.record(z.string().max(128), fieldValue).refine((fields) => Object.keys(fields).length <= MAX_OUTPUT_FIELDS, {
      message: `at most ${MAX_OUTPUT_FIELDS} output fields`,
    }),
    source: z.string().max(64).optional(),
    tags: z.array(z.string().max(64)).max(64).optional(),
    hostname: z.string().max(253).optional(),
    /** Falcosidekick's id of the event. */
    uuid: z.string().max(64).optional(),
  })
  .strict();

/** The keys of a Falco alert (Falco's, plus Falcosidekick's `uuid`). */
export const FALCO_KEYS = ['output', 'priority', 'rule', 'time', 'output_fields', 'source', 'tags', 'hostname', 'uuid'] as const;

/** Whether a decoded object is shaped like a Falco alert (what the sniffer asks before parsing it). */
export function looksLikeFalcoEvent(obj: Readonly<Record<string, unknown>>): boolean {
  return obj.rule !== undefined && obj.priority !== undefined && (obj.output_fields !== undefined || obj.output !== undefined);
}

/**
 * Validates a Falco alert and maps it to a record. The pod is read only from `k8s.ns.name` and
 * `k8s.pod.name` of `output_fields` (Falco's container metadata), never from the `output` text,
 * where the attacker's command line sits next to them; a value that is not a Kubernetes name leaves
 * the alert without a pod. A log shipper's envelope describes Falco's own pod, not the alert's,
 * and is not used.
 */
export function parseFalcoEvent(value: unknown, context: AccessLogContext): FalcoEventRecord | Rejection {
  const result = falcoEventSchema.safeParse(value, { reportInput: true });
  if (!result.success) return reject('schema-violation', formatSchemaIssues('falco', result.error.issues));
  const wire = result.data;
  const timestamp = parseTimestamp(wire.time);
  if (timestamp === undefined) return reject('schema-violation', `falco: 'time': not an RFC 3339 timestamp ${JSON.stringify(wire.time.slice(0, 64))}`);
  const fields = wire.output_fields;
  const namespace = kubeName(fields['k8s.ns.name'], DNS_LABEL);
  const pod = kubeName(fields['k8s.pod.name'], DNS_SUBDOMAIN);
  const container = fields['container.id'];
  const record: { -readonly [K in keyof FalcoEventRecord]: FalcoEventRecord[K] } = {
    kind: 'falco-event',
    envelope: context.envelope,
    timestamp,
    rule: terminalText(wire.rule, MAX_RULE_CHARS),
    priority: wire.priority satisfies FalcoPriority,
    tags: (wire.tags ?? []).slice(0, MAX_TAGS).map((tag) => terminalText(tag, 64)),
    fields: evidenceFields(fields),
    droppedFields: Object.keys(fields).filter((key) => !(FALCO_EVIDENCE_FIELDS as readonly string[]).includes(key)).length,
    origin: context.origin,
  };
  if (namespace !== undefined && pod !== undefined) record.pod = { namespace, name: pod };
  if (typeof container === 'string' && CONTAINER_ID.test(container)) record.containerId = container;
  if (wire.source !== undefined) record.source = terminalText(wire.source, 64);
  if (wire.hostname !== undefined) record.hostname = terminalText(wire.hostname, 253);
  return record;
}

function kubeName(value: unknown, pattern: RegExp): string | undefined {
  return typeof value === 'string' && pattern.test(value) ? value : undefined;
}

/** The kept fields, each escaped (control characters, bidi marks) and cut at {@link MAX_FIELD_CHARS}. */
function evidenceFields(fields: Readonly<Record<string, unknown>>): Readonly<Record<string, string>> {
  const kept: Record<string, string> = {};
  for (const key of FALCO_EVIDENCE_FIELDS) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    kept[key] = terminalText(text, MAX_FIELD_CHARS);
  }
  return kept;
}
