/**
 * Single-line log shipper envelopes: Fluent Bit (`kubernetes.namespace_name`), Vector
 * (`kubernetes.pod_namespace`) and docker json-file (`{"log": ...}`). Each carries one line, and
 * the first two carry the Kubernetes metadata that the access log itself lacks.
 */
import { reject, type AccessLogContext, type Rejection } from './access-log-context.js';
import { FALCO_KEYS, looksLikeFalcoEvent } from './parse-falco-event.js';
import { isJsonObject } from './parse-payload.js';
import type { Envelope, KubernetesMeta, RecordOrigin } from './records.js';

/**
 * The line (or, for a Fluent Bit record with merged JSON, the object) inside an envelope, with the
 * context its parser needs: one object per message rather than two.
 */
export interface Unwrapped extends AccessLogContext {
  readonly payload: string | Readonly<Record<string, unknown>>;
}

type MutableMeta = { -readonly [K in keyof KubernetesMeta]: KubernetesMeta[K] };

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Label maps keep only string values; the map itself is reused when it is already clean. */
function labelsOf(value: unknown): Readonly<Record<string, string>> | undefined {
  if (!isJsonObject(value)) return undefined;
  let clean = true;
  let count = 0;
  for (const key in value) {
    count++;
    if (typeof value[key] !== 'string') {
      clean = false;
      break;
    }
  }
  if (count === 0) return undefined;
  if (clean) return value as Readonly<Record<string, string>>;
  const out: Record<string, string> = {};
  for (const [key, label] of Object.entries(value)) if (typeof label === 'string') out[key] = label;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Builds Kubernetes metadata from whichever fields are present; undefined when none is. */
export function kubernetesMeta(
  namespace: unknown,
  pod: unknown,
  container: unknown,
  labels: unknown,
  node: unknown,
): KubernetesMeta | undefined {
  const meta: MutableMeta = {};
  let found = false;
  const ns = stringOrUndefined(namespace);
  if (ns !== undefined) {
    meta.namespace = ns;
    found = true;
  }
  const p = stringOrUndefined(pod);
  if (p !== undefined) {
    meta.pod = p;
    found = true;
  }
  const c = stringOrUndefined(container);
  if (c !== undefined) {
    meta.container = c;
    found = true;
  }
  const l = labelsOf(labels);
  if (l !== undefined) {
    meta.labels = l;
    found = true;
  }
  const n = stringOrUndefined(node);
  if (n !== undefined) {
    meta.node = n;
    found = true;
  }
  return found ? meta : undefined;
}

function lineOrMerged(
  obj: Readonly<Record<string, unknown>>,
  origin: RecordOrigin,
  line: unknown,
  envelope: Envelope,
  kubernetes: KubernetesMeta | undefined,
  keys: string,
): Unwrapped | Rejection {
  let payload: string | Readonly<Record<string, unknown>>;
  if (typeof line === 'string') {
    payload = line;
  } else if (obj.response_code !== undefined || obj.schema !== undefined) {
    // Fluent Bit's kubernetes filter with Merge_Log lifts a JSON log's keys into the record itself.
    payload = obj;
  } else if (looksLikeFalcoEvent(obj)) {
    // Falco's own stdout, merged: its keys only (the rest is the shipper's, about Falco's pod).
    payload = Object.fromEntries(FALCO_KEYS.filter((key) => obj[key] !== undefined).map((key) => [key, obj[key]]));
  } else {
    return reject('unknown-shape', `a ${envelope} envelope without a string ${keys}`);
  }
  return kubernetes === undefined ? { origin, envelope, payload } : { origin, envelope, kubernetes, payload };
}

/**
 * Recognises a single-line envelope and returns its payload and Kubernetes metadata; undefined
 * when the object is not an envelope (it is then the payload itself). OTLP batches are handled by
 * `parseOtlpBatch`, before this is called.
 */
export function unwrapEnvelope(
  obj: Readonly<Record<string, unknown>>,
  origin: RecordOrigin,
): Unwrapped | Rejection | undefined {
  const k = obj.kubernetes;
  if (isJsonObject(k)) {
    if (typeof k.namespace_name === 'string') {
      const meta = kubernetesMeta(k.namespace_name, k.pod_name, k.container_name, k.labels, k.host);
      // `log` from the CRI multiline parser and docker json-file; `message` from the classic cri parser.
      const line = typeof obj.log === 'string' ? obj.log : obj.message;
      return lineOrMerged(obj, origin, line, 'fluent-bit', meta, "'log' or 'message'");
    }
    if (typeof k.pod_namespace === 'string') {
      const meta = kubernetesMeta(k.pod_namespace, k.pod_name, k.container_name, k.pod_labels, k.pod_node_name);
      return lineOrMerged(obj, origin, obj.message, 'vector', meta, "'message'");
    }
  }
  if (typeof obj.log === 'string') return { origin, envelope: 'docker-json', payload: obj.log };
  return undefined;
}
