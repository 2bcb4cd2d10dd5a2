/**
 * One Envoy access-log entry as the recording models it, and its two wire encodings: Istio's
 * default TEXT format (22 fields, input-formats.md §1.1) and Istio's typed JSON encoding (§1.4).
 */

/**
 * The fields of Istio's default access-log format. `undefined` is an unset value: `-` in TEXT,
 * `null` in typed JSON.
 */
export interface AccessLogEntry {
  /** START_TIME, epoch milliseconds. */
  readonly startMs: number;
  /** Absent for TCP connections (`"- - -"`). */
  readonly method?: string | undefined;
  readonly path?: string | undefined;
  readonly protocol?: string | undefined;
  /** 0 when no HTTP response was sent (TCP). */
  readonly responseCode: number;
  /** Comma-joined short codes, e.g. `UF,URX`; undefined for none. */
  readonly responseFlags?: string | undefined;
  readonly responseCodeDetails?: string | undefined;
  readonly connectionTerminationDetails?: string | undefined;
  readonly upstreamTransportFailureReason?: string | undefined;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  /** Milliseconds, integer. */
  readonly durationMs: number;
  /** X-ENVOY-UPSTREAM-SERVICE-TIME, milliseconds; undefined when no upstream answered. */
  readonly upstreamServiceTimeMs?: number | undefined;
  readonly xForwardedFor?: string | undefined;
  readonly userAgent?: string | undefined;
  readonly requestId?: string | undefined;
  readonly authority?: string | undefined;
  readonly upstreamHost?: string | undefined;
  readonly upstreamCluster?: string | undefined;
  readonly upstreamLocalAddress?: string | undefined;
  readonly downstreamLocalAddress?: string | undefined;
  readonly downstreamRemoteAddress?: string | undefined;
  readonly requestedServerName?: string | undefined;
  readonly routeName?: string | undefined;
}

// Formatting dates is the hottest path of the generator; lines come in time order, so the
// text up to the second is reused from the previous call.
let cachedSecond = Number.NaN;
let cachedPrefix = '';

function secondPrefix(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20); // 2026-11-02T00:00:00.
  }
  return cachedPrefix;
}

function millisPart(ms: number): string {
  const millis = Math.floor(ms) % 1000;
  return millis < 10 ? `00${millis}` : millis < 100 ? `0${millis}` : String(millis);
}

/** ISO-8601 with millisecond precision, the form of Envoy's `%START_TIME%`. */
export function isoMillis(ms: number): string {
  return `${secondPrefix(ms)}${millisPart(ms)}Z`;
}

/**
 * ISO-8601 with nanosecond precision (CRI log files, Vector timestamps). `extraNanos` adds the
 * sub-millisecond part, 0-999999.
 */
export function isoNanos(ms: number, extraNanos: number): string {
  return `${secondPrefix(ms)}${millisPart(ms)}${String(extraNanos).padStart(6, '0')}Z`;
}

/** Epoch nanoseconds as the decimal string OTLP/JSON uses for int64 values. */
export function epochNanosString(ms: number, extraNanos: number): string {
  return (BigInt(Math.floor(ms)) * 1_000_000n + BigInt(extraNanos)).toString();
}

function dash(value: string | number | undefined): string {
  return value === undefined || value === '' ? '-' : String(value);
}

/**
 * Renders the entry in Istio's default TEXT format (without the trailing newline Envoy writes,
 * since log shippers strip it). Istio 1.20-1.22 print `%UPSTREAM_CLUSTER%` and 1.23+ print
 * `%UPSTREAM_CLUSTER_RAW%` in field 17; both render the plain cluster name, so one renderer
 * serves both.
 */
export function formatText(e: AccessLogEntry): string {
  const request =
    e.method === undefined ? '- - -' : `${e.method} ${dash(e.path)} ${dash(e.protocol)}`;
  return (
    `[${isoMillis(e.startMs)}] "${request}" ${e.responseCode} ${dash(e.responseFlags)} ` +
    `${dash(e.responseCodeDetails)} ${dash(e.connectionTerminationDetails)} ` +
    `"${dash(e.upstreamTransportFailureReason)}" ${e.bytesReceived} ${e.bytesSent} ` +
    `${e.durationMs} ${dash(e.upstreamServiceTimeMs)} "${dash(e.xForwardedFor)}" ` +
    `"${dash(e.userAgent)}" "${dash(e.requestId)}" "${dash(e.authority)}" "${dash(e.upstreamHost)}" ` +
    `${dash(e.upstreamCluster)} ${dash(e.upstreamLocalAddress)} ${dash(e.downstreamLocalAddress)} ` +
    `${dash(e.downstreamRemoteAddress)} ${dash(e.requestedServerName)} ${dash(e.routeName)}`
  );
}

/** The 24 keys of Istio's JSON access-log encoding, with typed values. */
export interface IstioJsonAccessLog {
  readonly authority: string | null;
  readonly bytes_received: number;
  readonly bytes_sent: number;
  readonly connection_termination_details: string | null;
  readonly downstream_local_address: string | null;
  readonly downstream_remote_address: string | null;
  readonly duration: number;
  readonly method: string | null;
  readonly path: string | null;
  readonly protocol: string | null;
  readonly request_id: string | null;
  readonly requested_server_name: string | null;
  readonly response_code: number;
  readonly response_code_details: string | null;
  readonly response_flags: string;
  readonly route_name: string | null;
  readonly start_time: string;
  readonly upstream_cluster: string | null;
  readonly upstream_host: string | null;
  readonly upstream_local_address: string | null;
  readonly upstream_service_time: string | null;
  readonly upstream_transport_failure_reason: string | null;
  readonly user_agent: string | null;
  readonly x_forwarded_for: string | null;
}

/**
 * Renders the entry in Istio's JSON encoding as Envoy's typed JSON formatter does: numbers for
 * codes, byte counts and duration, `null` for unset values, `"-"` for no response flags, and the
 * upstream service time as the header string it is.
 */
export function toIstioJson(e: AccessLogEntry): IstioJsonAccessLog {
  const orNull = (v: string | undefined): string | null => (v === undefined ? null : v);
  return {
    authority: orNull(e.authority),
    bytes_received: e.bytesReceived,
    bytes_sent: e.bytesSent,
    connection_termination_details: orNull(e.connectionTerminationDetails),
    downstream_local_address: orNull(e.downstreamLocalAddress),
    downstream_remote_address: orNull(e.downstreamRemoteAddress),
    duration: e.durationMs,
    method: orNull(e.method),
    path: orNull(e.path),
    protocol: orNull(e.protocol),
    request_id: orNull(e.requestId),
    requested_server_name: orNull(e.requestedServerName),
    response_code: e.responseCode,
    response_code_details: orNull(e.responseCodeDetails),
    response_flags: e.responseFlags ?? '-',
    route_name: orNull(e.routeName),
    start_time: isoMillis(e.startMs),
    upstream_cluster: orNull(e.upstreamCluster),
    upstream_host: orNull(e.upstreamHost),
    upstream_local_address: orNull(e.upstreamLocalAddress),
    upstream_service_time:
      e.upstreamServiceTimeMs === undefined ? null : String(e.upstreamServiceTimeMs),
    upstream_transport_failure_reason: orNull(e.upstreamTransportFailureReason),
    user_agent: orNull(e.userAgent),
    x_forwarded_for: orNull(e.xForwardedFor),
  };
}

/** Renders the entry as one line of Istio's JSON encoding. */
export function formatIstioJson(e: AccessLogEntry): string {
  return JSON.stringify(toIstioJson(e));
}
