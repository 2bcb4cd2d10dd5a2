/**
 * Reads the messages of a generated recording back the way a consumer would (input-formats.md
 * §2.4): sniffs the envelope, extracts the access-log line, and parses TEXT lines with the
 * §1.3 regex. Used by the generator's tests to check the recording against its ground truth.
 */

/** The §1.3 parser regex, verbatim apart from JavaScript's named-group syntax. */
export const TEXT_ACCESS_LOG =
  /^\[(?<start_time>[^\]]+)\] "(?<method>\S+) (?<path>\S+) (?<protocol>\S+)" (?<code>\d+) (?<flags>\S+) (?<details>\S+) (?<term>\S+) "(?<utfr>[^"]*)" (?<bytes_rx>\d+) (?<bytes_tx>\d+) (?<duration>\d+) (?<ust>\S+) "(?<xff>[^"]*)" "(?<ua>[^"]*)" "(?<reqid>[^"]*)" "(?<authority>[^"]*)" "(?<upstream_host>[^"]*)" (?<cluster>\S+) (?<ula>\S+) (?<dla>\S+) (?<dra>\S+) (?<sni>\S+) (?<route>\S+)\s*$/;

/** pilot-agent's own log lines, which share the `istio-proxy` stdout with access logs. */
export const PROXY_APP_LOG = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\t(info|warn|error)\t/;

/** The 24 keys of Istio's JSON access-log encoding. */
export const ISTIO_JSON_KEYS = [
  'start_time', 'route_name', 'method', 'path', 'protocol', 'response_code', 'response_flags',
  'response_code_details', 'connection_termination_details', 'bytes_received', 'bytes_sent', 'duration',
  'upstream_service_time', 'x_forwarded_for', 'user_agent', 'request_id', 'authority', 'upstream_host',
  'upstream_cluster', 'upstream_local_address', 'downstream_local_address', 'downstream_remote_address',
  'requested_server_name', 'upstream_transport_failure_reason',
] as const;

/** Envelope of a message. */
export type EnvelopeKind = 'fluent-bit' | 'vector' | 'otlp-json' | 'raw' | 'model-telemetry' | 'drift-metric';

/** Kubernetes identity an envelope gave a line. */
export interface LineMeta {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly app: string | undefined;
}

/** One access-log (or proxy) line found in a message. */
export interface ExtractedLine {
  readonly envelope: EnvelopeKind;
  readonly text: string;
  readonly meta: LineMeta | undefined;
}

/** A uniform view of one access-log entry, TEXT or JSON. */
export interface AccessView {
  readonly format: 'text' | 'json';
  readonly startMs: number;
  readonly method: string;
  readonly path: string;
  readonly code: number;
  readonly flags: string;
  readonly details: string;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly durationMs: number;
  readonly upstreamServiceTime: string;
  readonly xff: string;
  readonly requestId: string;
  readonly upstreamHost: string;
  readonly cluster: string;
  readonly upstreamLocal: string;
  readonly downstreamLocal: string;
  readonly downstreamRemote: string;
  readonly sni: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Thrown when a message does not have the shape its envelope promises. */
export class ShapeError extends Error {}

function need(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ShapeError(message);
}

function fluentBitMeta(k8s: Json): LineMeta {
  const labels = isObject(k8s.labels) ? k8s.labels : {};
  const namespace = str(k8s.namespace_name);
  const pod = str(k8s.pod_name);
  const container = str(k8s.container_name);
  need(namespace !== undefined && pod !== undefined && container !== undefined, 'fluent-bit metadata incomplete');
  need(str(k8s.pod_ip) !== undefined && str(k8s.host) !== undefined, 'fluent-bit pod_ip/host missing');
  return { namespace, pod, container, app: str(labels.app) };
}

function vectorMeta(k8s: Json): LineMeta {
  const labels = isObject(k8s.pod_labels) ? k8s.pod_labels : {};
  const namespace = str(k8s.pod_namespace);
  const pod = str(k8s.pod_name);
  const container = str(k8s.container_name);
  need(namespace !== undefined && pod !== undefined && container !== undefined, 'vector metadata incomplete');
  return { namespace, pod, container, app: str(labels.app) };
}

function otlpAttrs(list: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(list)) return out;
  for (const item of list as unknown[]) {
    if (!isObject(item) || !isObject(item.value)) continue;
    const key = str(item.key);
    const value = str(item.value.stringValue);
    if (key !== undefined && value !== undefined) out.set(key, value);
  }
  return out;
}

/** The result of reading one message. */
export type ReadMessage =
  | { readonly kind: 'lines'; readonly envelope: EnvelopeKind; readonly lines: ExtractedLine[] }
  | { readonly kind: 'model-telemetry' | 'drift-metric'; readonly record: Json };

/** Reads one message (one NDJSON line); throws {@link ShapeError} on a malformed one. */
export function readMessage(value: string): ReadMessage {
  if (!value.startsWith('{')) return { kind: 'lines', envelope: 'raw', lines: [{ envelope: 'raw', text: value, meta: undefined }] };
  const parsed: unknown = JSON.parse(value);
  need(isObject(parsed), 'message is not an object');
  if (parsed.schema === 'model_telemetry.v1') return { kind: 'model-telemetry', record: parsed };
  if (parsed.schema === 'drift_metric.v1') return { kind: 'drift-metric', record: parsed };
  if (Array.isArray(parsed.resourceLogs)) {
    const lines: ExtractedLine[] = [];
    for (const rl of parsed.resourceLogs as unknown[]) {
      need(isObject(rl) && isObject(rl.resource) && Array.isArray(rl.scopeLogs), 'bad resourceLogs entry');
      const attrs = otlpAttrs(rl.resource.attributes);
      const namespace = attrs.get('k8s.namespace.name');
      const pod = attrs.get('k8s.pod.name');
      const container = attrs.get('k8s.container.name');
      need(namespace !== undefined && pod !== undefined && container !== undefined, 'otlp resource attributes incomplete');
      const meta: LineMeta = { namespace, pod, container, app: attrs.get('k8s.deployment.name') };
      for (const sl of rl.scopeLogs as unknown[]) {
        need(isObject(sl) && Array.isArray(sl.logRecords), 'bad scopeLogs entry');
        for (const rec of sl.logRecords as unknown[]) {
          need(isObject(rec) && isObject(rec.body), 'bad logRecord');
          need(typeof rec.timeUnixNano === 'string' && /^\d+$/.test(rec.timeUnixNano), 'timeUnixNano must be a decimal string');
          const text = str(rec.body.stringValue);
          need(text !== undefined, 'logRecord without body.stringValue');
          lines.push({ envelope: 'otlp-json', text, meta });
        }
      }
    }
    return { kind: 'lines', envelope: 'otlp-json', lines };
  }
  if (isObject(parsed.kubernetes) && typeof parsed.log === 'string') {
    need(typeof parsed['@timestamp'] === 'number', 'fluent-bit @timestamp must be a double');
    return { kind: 'lines', envelope: 'fluent-bit', lines: [{ envelope: 'fluent-bit', text: parsed.log, meta: fluentBitMeta(parsed.kubernetes) }] };
  }
  if (isObject(parsed.kubernetes) && typeof parsed.message === 'string') {
    need(parsed.source_type === 'kubernetes_logs', 'vector source_type missing');
    return { kind: 'lines', envelope: 'vector', lines: [{ envelope: 'vector', text: parsed.message, meta: vectorMeta(parsed.kubernetes) }] };
  }
  need('response_code' in parsed, 'unknown JSON message');
  return { kind: 'lines', envelope: 'raw', lines: [{ envelope: 'raw', text: value, meta: undefined }] };
}

const dash = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '-';

/** Parses an access-log line in either encoding, or returns undefined for other lines. */
export function parseAccessLine(text: string): AccessView | undefined {
  if (text.startsWith('{')) {
    const j = JSON.parse(text) as Json;
    return {
      format: 'json',
      startMs: Date.parse(String(j.start_time)),
      method: dash(j.method),
      path: dash(j.path),
      code: Number(j.response_code),
      flags: dash(j.response_flags),
      details: dash(j.response_code_details),
      bytesReceived: Number(j.bytes_received),
      bytesSent: Number(j.bytes_sent),
      durationMs: Number(j.duration),
      upstreamServiceTime: dash(j.upstream_service_time),
      xff: dash(j.x_forwarded_for),
      requestId: dash(j.request_id),
      upstreamHost: dash(j.upstream_host),
      cluster: dash(j.upstream_cluster),
      upstreamLocal: dash(j.upstream_local_address),
      downstreamLocal: dash(j.downstream_local_address),
      downstreamRemote: dash(j.downstream_remote_address),
      sni: dash(j.requested_server_name),
    };
  }
  const g = TEXT_ACCESS_LOG.exec(text)?.groups;
  if (g === undefined) return undefined;
  const field = (name: string): string => g[name] ?? '-';
  return {
    format: 'text',
    startMs: Date.parse(field('start_time')),
    method: field('method'),
    path: field('path'),
    code: Number(field('code')),
    flags: field('flags'),
    details: field('details'),
    bytesReceived: Number(field('bytes_rx')),
    bytesSent: Number(field('bytes_tx')),
    durationMs: Number(field('duration')),
    upstreamServiceTime: field('ust'),
    xff: field('xff'),
    requestId: field('reqid'),
    upstreamHost: field('upstream_host'),
    cluster: field('cluster'),
    upstreamLocal: field('ula'),
    downstreamLocal: field('dla'),
    downstreamRemote: field('dra'),
    sni: field('sni'),
  };
}
