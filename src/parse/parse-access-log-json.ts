/**
 * Reader for Istio's JSON access log (`accessLogEncoding: JSON`, the 24 keys of
 * `EnvoyJSONLogFormatIstio`). Hand-written checks rather than a schema: this is the hot path.
 *
 * Accepted: any key order; typed values (Envoy 1.2x: numbers, `null` when unset) or all-strings
 * (Istio <= 1.5: `"0"`, `"-"`); `-`, `""` and `null` mean absent. Keys outside the 24 are ignored,
 * because a custom `logFormat.labels` adds its own (`istio_policy_status`, `traceparent`...).
 */
import {
  DETACHED_CONTEXT,
  quote,
  reject,
  type AccessLogContext,
  type MutableAccessLogRecord,
  type Rejection,
} from './access-log-context.js';
import { isAllDigits } from './is-all-digits.js';
import { parseTimestamp } from './parse-timestamp.js';
import { parseUpstreamCluster, stripClusterSuffix } from './parse-upstream-cluster.js';
import type { AccessLogRecord } from './records.js';

const NO_FLAGS: readonly string[] = Object.freeze([]);


/** Problems found in one object; the list is allocated only when there is one. */
interface Problems {
  list: string[] | undefined;
}

function complain(problems: Problems, message: string): void {
  (problems.list ??= []).push(message);
}

// The readers take the value, not the object and a key: `obj.method` is a named load that V8
// caches per object shape, while `obj[key]` with a variable key is a generic lookup every time.

/** A string field; `null`, `-` and `""` are absent; any other type is a problem. */
function str(value: unknown, key: string, problems: Problems): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '-' || value === '' ? undefined : value;
  complain(problems, `'${key}' must be a string, got ${quote(value)}`);
  return undefined;
}

/** A non-negative integer field, as a number or a string of digits; `null`, `-`, `""` are absent. */
function uint(value: unknown, key: string, problems: Problems): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    if (value === '-' || value === '') return undefined;
    if (isAllDigits(value)) return Number(value);
  }
  complain(problems, `'${key}' must be a non-negative integer, got ${quote(value)}`);
  return undefined;
}

/**
 * Parses one Istio JSON access-log object (already `JSON.parse`d). The object must carry
 * `start_time` and `response_code`; missing byte counts and duration read as 0 (Envoy always
 * writes them; only a custom format can drop them). Returns the record, or an `invalid-field`
 * rejection naming every bad key. Never throws.
 */
export function parseAccessLogJson(
  obj: Readonly<Record<string, unknown>>,
  context: AccessLogContext = DETACHED_CONTEXT,
): AccessLogRecord | Rejection {
  const problems: Problems = { list: undefined };

  const startTime = obj.start_time;
  let timestamp: number | undefined;
  if (typeof startTime === 'string') {
    timestamp = parseTimestamp(startTime);
    if (timestamp === undefined) {
      complain(problems, `'start_time' must be an RFC 3339 timestamp, got ${quote(startTime)}`);
    }
  } else {
    complain(
      problems,
      startTime === undefined ? `'start_time' is missing` : `'start_time' must be a string, got ${quote(startTime)}`,
    );
  }
  const responseCode = uint(obj.response_code, 'response_code', problems) ?? 0;
  const bytesReceived = uint(obj.bytes_received, 'bytes_received', problems) ?? 0;
  const bytesSent = uint(obj.bytes_sent, 'bytes_sent', problems) ?? 0;
  const duration = uint(obj.duration, 'duration', problems) ?? 0;
  const upstreamServiceTime = uint(obj.upstream_service_time, 'upstream_service_time', problems);
  const flags = str(obj.response_flags, 'response_flags', problems);
  const method = str(obj.method, 'method', problems);
  const path = str(obj.path, 'path', problems);
  const protocol = str(obj.protocol, 'protocol', problems);
  const details = str(obj.response_code_details, 'response_code_details', problems);
  const term = str(obj.connection_termination_details, 'connection_termination_details', problems);
  const utfr = str(obj.upstream_transport_failure_reason, 'upstream_transport_failure_reason', problems);
  const xff = str(obj.x_forwarded_for, 'x_forwarded_for', problems);
  const userAgent = str(obj.user_agent, 'user_agent', problems);
  const requestId = str(obj.request_id, 'request_id', problems);
  const authority = str(obj.authority, 'authority', problems);
  const upstreamHost = str(obj.upstream_host, 'upstream_host', problems);
  const clusterText = str(obj.upstream_cluster, 'upstream_cluster', problems);
  const ula = str(obj.upstream_local_address, 'upstream_local_address', problems);
  const dla = str(obj.downstream_local_address, 'downstream_local_address', problems);
  const dra = str(obj.downstream_remote_address, 'downstream_remote_address', problems);
  const sni = str(obj.requested_server_name, 'requested_server_name', problems);
  const routeName = str(obj.route_name, 'route_name', problems);

  if (problems.list !== undefined || timestamp === undefined) {
    return reject('invalid-field', `Istio JSON access log: ${(problems.list ?? []).join('; ')}`);
  }

  const record: MutableAccessLogRecord = {
    kind: 'access-log',
    format: 'json',
    envelope: context.envelope,
    timestamp,
    responseCode,
    responseFlags: flags === undefined ? NO_FLAGS : flags.includes(',') ? flags.split(',') : [flags],
    bytesReceived,
    bytesSent,
    duration,
    origin: context.origin,
  };
  // Same assignment order as the TEXT scanner, so both formats share hidden classes.
  if (method !== undefined) record.method = method;
  if (path !== undefined) record.path = path;
  if (protocol !== undefined) record.protocol = protocol;
  if (details !== undefined) record.responseCodeDetails = details;
  if (term !== undefined) record.connectionTerminationDetails = term;
  if (utfr !== undefined) record.upstreamTransportFailureReason = utfr;
  if (upstreamServiceTime !== undefined) record.upstreamServiceTime = upstreamServiceTime;
  if (xff !== undefined) record.xForwardedFor = xff;
  if (userAgent !== undefined) record.userAgent = userAgent;
  if (requestId !== undefined) record.requestId = requestId;
  if (authority !== undefined) record.authority = authority;
  if (upstreamHost !== undefined) record.upstreamHost = upstreamHost;
  if (clusterText !== undefined) {
    const upstreamCluster = stripClusterSuffix(clusterText);
    record.upstreamCluster = upstreamCluster;
    const target = parseUpstreamCluster(upstreamCluster, sni);
    if (target.direction !== undefined) record.direction = target.direction;
    if (target.destinationService !== undefined) record.destinationService = target.destinationService;
    if (target.destinationNamespace !== undefined) record.destinationNamespace = target.destinationNamespace;
  }
  if (ula !== undefined) record.upstreamLocalAddress = ula;
  if (dla !== undefined) record.downstreamLocalAddress = dla;
  if (dra !== undefined) record.downstreamRemoteAddress = dra;
  if (sni !== undefined) record.requestedServerName = sni;
  if (routeName !== undefined) record.routeName = routeName;
  if (context.kubernetes !== undefined) record.kubernetes = context.kubernetes;
  return record;
}
