/**
 * OTLP-JSON log batches (`otlp_json` encoding of the OpenTelemetry Collector Kafka exporter): one
 * message holds `resourceLogs[].scopeLogs[].logRecords[]`, with the Kubernetes metadata on each
 * resource (k8sattributes / filelog container operator) and the access line in each record's body.
 */
import { reject, type AccessLogContext, type Rejection } from './access-log-context.js';
import { isJsonObject, parsePayloadObject, parsePayloadText } from './parse-payload.js';
import type { DeadLetter, KubernetesMeta, ParseOutcome, ParsedRecord, RecordOrigin } from './records.js';
import { kubernetesMeta } from './unwrap-envelope.js';

const EMPTY: readonly unknown[] = Object.freeze([]);

/**
 * A repeated field: OTLP-JSON omits empty ones, so absent is an empty list; present and not an
 * array is undecodable (undefined).
 */
function repeated(value: unknown): readonly unknown[] | undefined {
  if (value === undefined || value === null) return EMPTY;
  return Array.isArray(value) ? value : undefined;
}

/** The scopes of a resource: `scopeLogs`, or `instrumentationLibraryLogs` from OTLP < 0.15. */
function scopesOf(resource: Readonly<Record<string, unknown>>): readonly unknown[] | undefined {
  return repeated(resource.scopeLogs ?? resource.instrumentationLibraryLogs);
}

/** An OTLP AnyValue as a plain JSON value (int64 arrives as a decimal string and stays one). */
function plainValue(value: unknown): unknown {
  if (!isJsonObject(value)) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return value.intValue;
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  return undefined;
}

/** Attributes (`[{key, value: AnyValue}]`) as a map; malformed entries are skipped. */
function attributeMap(attributes: unknown): Map<string, unknown> | undefined {
  if (!Array.isArray(attributes) || attributes.length === 0) return undefined;
  const map = new Map<string, unknown>();
  for (const entry of attributes) {
    if (isJsonObject(entry) && typeof entry.key === 'string') map.set(entry.key, plainValue(entry.value));
  }
  return map;
}

const LABEL_PREFIXES = ['k8s.pod.label.', 'k8s.pod.labels.'];

/**
 * Kubernetes metadata from resource and log-record attributes (record attributes win):
 * `k8s.namespace.name`, `k8s.pod.name`, `k8s.container.name`, `k8s.node.name`, and pod labels as
 * `k8s.pod.label.<key>` (semantic conventions) or `k8s.pod.labels.<key>` (older k8sattributes
 * default tag name).
 */
function metaFromAttributes(...maps: (Map<string, unknown> | undefined)[]): KubernetesMeta | undefined {
  let namespace: unknown;
  let pod: unknown;
  let container: unknown;
  let node: unknown;
  let labels: Record<string, unknown> | undefined;
  for (const map of maps) {
    if (map === undefined) continue;
    for (const [key, value] of map) {
      if (!key.startsWith('k8s.')) continue;
      if (key === 'k8s.namespace.name') namespace = value;
      else if (key === 'k8s.pod.name') pod = value;
      else if (key === 'k8s.container.name') container = value;
      else if (key === 'k8s.node.name') node = value;
      else {
        for (const prefix of LABEL_PREFIXES) {
          if (key.startsWith(prefix) && key.length > prefix.length) {
            (labels ??= {})[key.slice(prefix.length)] = value;
            break;
          }
        }
      }
    }
  }
  return kubernetesMeta(namespace, pod, container, labels, node);
}

/** What a log record's body is: a line of text, an object (kvlist), or nothing readable. */
function bodyOf(record: Readonly<Record<string, unknown>>): string | Record<string, unknown> | undefined {
  const body = record.body;
  if (!isJsonObject(body)) return undefined;
  if (typeof body.stringValue === 'string') return body.stringValue;
  const kvlist = body.kvlistValue;
  if (isJsonObject(kvlist) && Array.isArray(kvlist.values)) {
    const out: Record<string, unknown> = {};
    for (const entry of kvlist.values) {
      if (isJsonObject(entry) && typeof entry.key === 'string') out[entry.key] = plainValue(entry.value);
    }
    return out;
  }
  return undefined;
}

/** Why the batch cannot be walked, or its log records grouped by resource. */
function walk(
  batch: Readonly<Record<string, unknown>>,
): string | { resource: Readonly<Record<string, unknown>>; records: Readonly<Record<string, unknown>>[] }[] {
  const resources = batch.resourceLogs;
  if (!Array.isArray(resources)) return "'resourceLogs' is not an array";
  const out: { resource: Readonly<Record<string, unknown>>; records: Readonly<Record<string, unknown>>[] }[] = [];
  for (let r = 0; r < resources.length; r++) {
    const resource: unknown = resources[r];
    if (!isJsonObject(resource)) return `resourceLogs[${r}] is not an object`;
    const scopes = scopesOf(resource);
    if (scopes === undefined) return `resourceLogs[${r}].scopeLogs is not an array`;
    const records: Readonly<Record<string, unknown>>[] = [];
    for (let s = 0; s < scopes.length; s++) {
      const scope = scopes[s];
      if (!isJsonObject(scope)) return `resourceLogs[${r}].scopeLogs[${s}] is not an object`;
      const logRecords = repeated(scope.logRecords);
      if (logRecords === undefined) return `resourceLogs[${r}].scopeLogs[${s}].logRecords is not an array`;
      for (let l = 0; l < logRecords.length; l++) {
        const logRecord = logRecords[l];
        if (!isJsonObject(logRecord)) return `resourceLogs[${r}].scopeLogs[${s}].logRecords[${l}] is not an object`;
        records.push(logRecord);
      }
    }
    out.push({ resource, records });
  }
  return out;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * Parses every log record of an OTLP-JSON batch: one record or one dead letter per log record,
 * each with the Kubernetes metadata of its resource. A batch that cannot be walked, or that holds
 * no log record, is one `invalid-batch` dead letter carrying the whole message.
 */
export function parseOtlpBatch(
  batch: Readonly<Record<string, unknown>>,
  raw: string,
  origin: RecordOrigin,
): ParseOutcome {
  const records: ParsedRecord[] = [];
  const deadLetters: DeadLetter[] = [];
  const walked = walk(batch);
  if (typeof walked === 'string' || walked.every((group) => group.records.length === 0)) {
    const reason =
      typeof walked === 'string'
        ? `undecodable OTLP-JSON batch: ${walked}`
        : 'empty OTLP-JSON batch: no log record in resourceLogs';
    deadLetters.push({ reason, code: 'invalid-batch', raw, origin, envelope: 'otlp-json' });
    return { records, deadLetters };
  }
  let index = 0;
  for (const { resource, records: logRecords } of walked) {
    const resourceBody = resource.resource;
    const resourceAttributes = isJsonObject(resourceBody) ? attributeMap(resourceBody.attributes) : undefined;
    const resourceMeta = metaFromAttributes(resourceAttributes);
    for (const logRecord of logRecords) {
      const recordAttributes = attributeMap(logRecord.attributes);
      const hasK8s = recordAttributes !== undefined && [...recordAttributes.keys()].some((key) => key.startsWith('k8s.'));
      const kubernetes = hasK8s ? metaFromAttributes(resourceAttributes, recordAttributes) : resourceMeta;
      const context: AccessLogContext =
        kubernetes === undefined ? { origin, envelope: 'otlp-json' } : { origin, envelope: 'otlp-json', kubernetes };
      const body = bodyOf(logRecord);
      let result: ParsedRecord | Rejection;
      let rawText: string;
      if (body === undefined) {
        result = reject('unknown-shape', 'OTLP log record without a string or kvlist body');
        rawText = safeStringify(logRecord);
      } else if (typeof body === 'string') {
        result = parsePayloadText(body, context);
        rawText = body;
      } else {
        result = parsePayloadObject(body, context);
        rawText = safeStringify(logRecord.body);
      }
      if (result.kind === 'rejected') {
        const letter: DeadLetter =
          kubernetes === undefined
            ? { reason: result.reason, code: result.code, raw: rawText, origin, envelope: 'otlp-json', recordIndex: index }
            : {
                reason: result.reason,
                code: result.code,
                raw: rawText,
                origin,
                envelope: 'otlp-json',
                kubernetes,
                recordIndex: index,
              };
        deadLetters.push(letter);
      } else {
        records.push(result);
      }
      index++;
    }
  }
  return { records, deadLetters };
}
