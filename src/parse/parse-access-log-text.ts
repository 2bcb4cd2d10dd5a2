/**
 * Envoy's default Istio TEXT access log (22 fields, Istio 1.9+; 1.20-1.22 log %UPSTREAM_CLUSTER%
 * and 1.23+ %UPSTREAM_CLUSTER_RAW% in the same place, so one reader takes both).
 *
 * A well-formed line is read in one left-to-right pass (`scan-well-formed-line.ts`). Any other line
 * goes to the lenient scanner here, which names the field that is wrong and reads the five middle
 * quoted fields from both ends: Envoy does not escape `"` inside quoted fields, so a User-Agent may
 * contain `" "`; reading the head forwards and the six unquoted tail fields backwards pins every
 * field except the User-Agent, which takes whatever is left.
 */
import {
  DETACHED_CONTEXT,
  NO_RESPONSE_FLAGS,
  reject,
  type AccessLogContext,
  type MutableAccessLogRecord,
  type Rejection,
} from './access-log-context.js';
import { parseTimestampRange } from './parse-timestamp.js';
import { stripClusterSuffix } from './parse-upstream-cluster.js';
import type { AccessLogRecord } from './records.js';
import { scanWellFormedLine } from './scan-well-formed-line.js';
import { setUpstreamCluster } from './set-upstream-cluster.js';

const QUOTE = 34;
const SPACE = 32;
const DASH = 45;
const OPEN_BRACKET = 91;

// Set by readUint: the index just past the digits it read. A module-level cursor instead of a
// returned tuple keeps the hot path free of allocations; the scanner is synchronous, so no caller
// can observe it half-way.
let cursor = 0;

/** Reads a decimal integer at i; returns -1 when there is no digit or it is too long to be exact. */
function readUint(s: string, i: number, end: number): number {
  let value = 0;
  let j = i;
  while (j < end) {
    const c = s.charCodeAt(j) - 48;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
    j++;
  }
  cursor = j;
  if (j === i || j - i > 15) return -1;
  return value;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** Index of the `"` that closes a quoted field followed by ` <digit>`, or -1. */
function closingQuoteBeforeNumber(s: string, from: number, end: number): number {
  let q = s.indexOf('" ', from);
  while (q >= 0 && q + 2 < end) {
    if (isDigitAt(s, q + 2)) return q;
    q = s.indexOf('" ', q + 1);
  }
  return -1;
}

/** The field text, or undefined for Envoy's empty markers `-` and (with omitEmptyValues) ``. */
function optional(s: string, start: number, end: number): string | undefined {
  if (end <= start) return undefined;
  if (end - start === 1 && s.charCodeAt(start) === DASH) return undefined;
  return s.slice(start, end);
}

function flagsOf(s: string, start: number, end: number): readonly string[] {
  if (end - start === 1 && s.charCodeAt(start) === DASH) return NO_RESPONSE_FLAGS;
  const text = s.slice(start, end);
  return text.includes(',') ? text.split(',') : [text];
}

/**
 * Scans the fields after START_TIME. `p` is the index of the request field's opening quote, or of
 * the method itself when `quoted` is false (a line whose `[START_TIME] "` was cut off).
 * Returns the record, or the reason it is not one.
 */
function scanBody(
  s: string,
  p: number,
  end: number,
  quoted: boolean,
  timestamp: number,
  context: AccessLogContext,
): MutableAccessLogRecord | string {
  if (quoted && s.charCodeAt(p) !== QUOTE) return 'expected "METHOD PATH PROTOCOL" after [START_TIME]';
  const reqStart = quoted ? p + 1 : p;
  const reqEnd = closingQuoteBeforeNumber(s, reqStart, end);
  if (reqEnd < 0) return 'the "METHOD PATH PROTOCOL" field is not followed by a response code';
  const sp1 = s.indexOf(' ', reqStart);
  const sp2 = s.lastIndexOf(' ', reqEnd - 1);
  if (sp1 < 0 || sp1 >= reqEnd || sp2 <= sp1) {
    return 'the request field is not "METHOD PATH PROTOCOL" (three space-separated parts)';
  }

  let i = reqEnd + 2;
  const responseCode = readUint(s, i, end);
  if (responseCode < 0 || s.charCodeAt(cursor) !== SPACE) return 'RESPONSE_CODE is not an integer';

  const flagsStart = cursor + 1;
  const flagsEnd = s.indexOf(' ', flagsStart);
  if (flagsEnd <= flagsStart || flagsEnd >= end) return 'RESPONSE_FLAGS is missing';
  const detailsStart = flagsEnd + 1;
  const detailsEnd = s.indexOf(' ', detailsStart);
  if (detailsEnd <= detailsStart || detailsEnd >= end) return 'RESPONSE_CODE_DETAILS is missing';
  const termStart = detailsEnd + 1;
  const termEnd = s.indexOf(' ', termStart);
  if (termEnd <= termStart || termEnd >= end) return 'CONNECTION_TERMINATION_DETAILS is missing';
  if (s.charCodeAt(termEnd + 1) !== QUOTE) return 'UPSTREAM_TRANSPORT_FAILURE_REASON is not quoted';
  const utfrStart = termEnd + 2;
  const utfrEnd = closingQuoteBeforeNumber(s, utfrStart, end);
  if (utfrEnd < 0) return 'UPSTREAM_TRANSPORT_FAILURE_REASON is not followed by BYTES_RECEIVED';

  i = utfrEnd + 2;
  const bytesReceived = readUint(s, i, end);
  if (bytesReceived < 0 || s.charCodeAt(cursor) !== SPACE) return 'BYTES_RECEIVED is not an integer';
  const bytesSent = readUint(s, cursor + 1, end);
  if (bytesSent < 0 || s.charCodeAt(cursor) !== SPACE) return 'BYTES_SENT is not an integer';
  const duration = readUint(s, cursor + 1, end);
  if (duration < 0 || s.charCodeAt(cursor) !== SPACE) return 'DURATION is not an integer';
  const ustStart = cursor + 1;
  const ustEnd = s.indexOf(' ', ustStart);
  if (ustEnd <= ustStart || ustEnd >= end) return 'X-ENVOY-UPSTREAM-SERVICE-TIME is missing';
  let upstreamServiceTime: number | undefined;
  if (!(ustEnd - ustStart === 1 && s.charCodeAt(ustStart) === DASH)) {
    upstreamServiceTime = readUint(s, ustStart, ustEnd);
    if (upstreamServiceTime < 0 || cursor !== ustEnd) {
      return 'X-ENVOY-UPSTREAM-SERVICE-TIME is neither an integer nor -';
    }
  }
  if (s.charCodeAt(ustEnd + 1) !== QUOTE) return 'X-FORWARDED-FOR is not quoted';
  const xffStart = ustEnd + 2;

  // The six unquoted tail fields, read backwards from the end of the line.
  const routeStart = s.lastIndexOf(' ', end - 1) + 1;
  const sniStart = s.lastIndexOf(' ', routeStart - 2) + 1;
  const draStart = s.lastIndexOf(' ', sniStart - 2) + 1;
  const dlaStart = s.lastIndexOf(' ', draStart - 2) + 1;
  const ulaStart = s.lastIndexOf(' ', dlaStart - 2) + 1;
  const clusterStart = s.lastIndexOf(' ', ulaStart - 2) + 1;
  if (
    clusterStart <= xffStart ||
    routeStart >= end ||
    sniStart >= routeStart - 1 ||
    draStart >= sniStart - 1 ||
    dlaStart >= draStart - 1 ||
    ulaStart >= dlaStart - 1 ||
    clusterStart >= ulaStart - 1 ||
    s.charCodeAt(clusterStart - 2) !== QUOTE
  ) {
    return 'the line does not end with six fields UPSTREAM_CLUSTER .. ROUTE_NAME after "UPSTREAM_HOST"';
  }
  const uhEnd = clusterStart - 2;

  // The five quoted fields in between: "XFF" "UA" "X-REQUEST-ID" "AUTHORITY" "UPSTREAM_HOST".
  const sepXff = s.indexOf('" "', xffStart);
  const sepUh = s.lastIndexOf('" "', uhEnd - 3);
  const sepAuth = sepUh < 3 ? -1 : s.lastIndexOf('" "', sepUh - 3);
  const sepReq = sepAuth < 3 ? -1 : s.lastIndexOf('" "', sepAuth - 3);
  if (sepXff < 0 || sepReq < 0 || sepReq < sepXff + 3 || sepUh >= uhEnd) {
    return 'expected five quoted fields "X-FORWARDED-FOR" "USER-AGENT" "X-REQUEST-ID" "AUTHORITY" "UPSTREAM_HOST"';
  }

  const upstreamClusterRaw = optional(s, clusterStart, ulaStart - 1);
  const upstreamCluster =
    upstreamClusterRaw === undefined ? undefined : stripClusterSuffix(upstreamClusterRaw);
  const requestedServerName = optional(s, sniStart, routeStart - 1);

  const record: MutableAccessLogRecord = {
    kind: 'access-log',
    format: 'text',
    envelope: context.envelope,
    timestamp,
    responseCode,
    responseFlags: flagsOf(s, flagsStart, flagsEnd),
    bytesReceived,
    bytesSent,
    duration,
    origin: context.origin,
  };
  // Optional fields are assigned only when present (exactOptionalPropertyTypes), always in the
  // same order so that records of the same shape share one hidden class.
  const method = optional(s, reqStart, sp1);
  if (method !== undefined) record.method = method;
  const path = optional(s, sp1 + 1, sp2);
  if (path !== undefined) record.path = path;
  const protocol = optional(s, sp2 + 1, reqEnd);
  if (protocol !== undefined) record.protocol = protocol;
  const details = optional(s, detailsStart, detailsEnd);
  if (details !== undefined) record.responseCodeDetails = details;
  const term = optional(s, termStart, termEnd);
  if (term !== undefined) record.connectionTerminationDetails = term;
  const utfr = optional(s, utfrStart, utfrEnd);
  if (utfr !== undefined) record.upstreamTransportFailureReason = utfr;
  if (upstreamServiceTime !== undefined) record.upstreamServiceTime = upstreamServiceTime;
  const xff = optional(s, xffStart, sepXff);
  if (xff !== undefined) record.xForwardedFor = xff;
  const ua = optional(s, sepXff + 3, sepReq);
  if (ua !== undefined) record.userAgent = ua;
  const requestId = optional(s, sepReq + 3, sepAuth);
  if (requestId !== undefined) record.requestId = requestId;
  const authority = optional(s, sepAuth + 3, sepUh);
  if (authority !== undefined) record.authority = authority;
  const upstreamHost = optional(s, sepUh + 3, uhEnd);
  if (upstreamHost !== undefined) record.upstreamHost = upstreamHost;
  if (upstreamCluster !== undefined) setUpstreamCluster(record, upstreamCluster, requestedServerName);
  const ula = optional(s, ulaStart, dlaStart - 1);
  if (ula !== undefined) record.upstreamLocalAddress = ula;
  const dla = optional(s, dlaStart, draStart - 1);
  if (dla !== undefined) record.downstreamLocalAddress = dla;
  const dra = optional(s, draStart, sniStart - 1);
  if (dra !== undefined) record.downstreamRemoteAddress = dra;
  if (requestedServerName !== undefined) record.requestedServerName = requestedServerName;
  const routeName = optional(s, routeStart, end);
  if (routeName !== undefined) record.routeName = routeName;
  if (context.kubernetes !== undefined) record.kubernetes = context.kubernetes;
  return record;
}

/** Scans a whole line whose `[START_TIME]` starts at p. */
function scanAt(
  s: string,
  p: number,
  end: number,
  context: AccessLogContext,
): MutableAccessLogRecord | string {
  const close = s.indexOf('] ', p + 1);
  if (close < 0 || close >= end || close - p > 64) return 'START_TIME is not closed by "] "';
  const timestamp = parseTimestampRange(s, p + 1, close);
  if (timestamp === undefined) return `START_TIME ${JSON.stringify(s.slice(p + 1, close))} is not an RFC 3339 timestamp`;
  return scanBody(s, close + 2, end, true, timestamp, context);
}

// Failure-path classifiers: run only once the scanner has rejected a line.
/** 1.3-1.8 (mixer status, a quoted field, where RESPONSE_CODE_DETAILS is) and <= 1.2 (bytes there). */
const LEGACY = /\[[^\]]{10,40}\] "[^"]*" \d{1,3} \S+ ["\d]/y;
/** istio-proxy's own logs: `2024-...Z<TAB>info<TAB>xdsproxy<TAB>...` (pilot-agent, and Envoy as Istio configures it). */
const ISTIO_PROXY_LOG = /^\s*\d{4}-\d\d-\d\dT[^\t ]+\t(?:debug|info|warn|warning|error|critical|fatal|none)\t/;
/** Envoy's stock application log: `[2024-06-18 10:19:42.614][14][warning][config] ...`. */
const ENVOY_APP_LOG = /^\s*\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\]\[/;
/** `[<date>...] "`: the line means to be an access log, so a scanner failure is a bad field. */
const ACCESS_LOG_START = /\[\d{4}-[^\]]{0,60}\] "/y;
/** A request line with its opening quote cut off: `PUT /path HTTP/1.1" 404 ...`. */
const UNQUOTED_REQUEST = /^[A-Z]+ \S/;

function isSpace(c: number): boolean {
  return c === SPACE || c === 10 || c === 13 || c === 9;
}

/**
 * Parses one Istio TEXT access-log line (trailing newline allowed; a viewer prefix such as Cloud
 * Logging's `INFO <ts> [labels] ` before `[20..` is skipped). Returns the record, or a rejection:
 * `legacy-format` for pre-1.9 lines, `missing-start-time` for lines cut before their timestamp,
 * `not-access-log` for pilot-agent/Envoy application logs, `invalid-field` when a recognised line
 * has an unreadable field, `unknown-shape` otherwise. Never throws.
 */
export function parseAccessLogText(
  line: string,
  context: AccessLogContext = DETACHED_CONTEXT,
): AccessLogRecord | Rejection {
  let end = line.length;
  while (end > 0 && isSpace(line.charCodeAt(end - 1))) end--;
  let start = 0;
  while (start < end && isSpace(line.charCodeAt(start))) start++;
  if (start === end) return reject('empty', 'empty line');

  if (start === 0) {
    const record = scanWellFormedLine(line, context);
    if (record !== undefined) return record;
  }

  let failure: string | undefined;
  let failedAt = -1;
  if (line.charCodeAt(start) === OPEN_BRACKET) {
    const result = scanAt(line, start, end, context);
    if (typeof result !== 'string') return result;
    if (startsLikeAccessLog(line, start)) {
      failure = result;
      failedAt = start;
    }
  }
  const bracket = line.indexOf('[20', start + 1);
  if (bracket > 0 && bracket < end) {
    const result = scanAt(line, bracket, end, context);
    if (typeof result !== 'string') return result;
    if (failure === undefined && startsLikeAccessLog(line, bracket)) {
      failure = result;
      failedAt = bracket;
    }
  }
  return classifyFailure(line, start, end, failure, failedAt, context);
}

function startsLikeAccessLog(line: string, at: number): boolean {
  ACCESS_LOG_START.lastIndex = at;
  return ACCESS_LOG_START.test(line);
}

function classifyFailure(
  line: string,
  start: number,
  end: number,
  failure: string | undefined,
  failedAt: number,
  context: AccessLogContext,
): Rejection {
  const head = start === 0 ? line : line.slice(start);
  if (ISTIO_PROXY_LOG.test(head) || ENVOY_APP_LOG.test(head)) {
    return reject('not-access-log', 'an istio-proxy application log line (pilot-agent or Envoy), not an access log');
  }
  // The legacy shape is looked for where the scan failed, else at the first `[`.
  const legacyAt = failedAt >= 0 ? failedAt : line.indexOf('[', start);
  if (legacyAt >= 0) {
    LEGACY.lastIndex = legacyAt;
    if (LEGACY.test(line)) {
      return reject(
        'legacy-format',
        'a pre-1.9 Istio access log line (no RESPONSE_CODE_DETAILS / CONNECTION_TERMINATION_DETAILS); only the 1.9+ 22-field format is read',
      );
    }
  }
  const first = line.charCodeAt(start);
  const quoted = first === QUOTE;
  if (quoted || UNQUOTED_REQUEST.test(head)) {
    const body = scanBody(line, start, end, quoted, 0, context);
    if (typeof body !== 'string') {
      return reject(
        'missing-start-time',
        'an Istio access log line cut before its [START_TIME]: the fields after it read, but a record needs the start time',
      );
    }
  }
  if (failure !== undefined) return reject('invalid-field', `Istio TEXT access log: ${failure}`);
  return reject('unknown-shape', 'not a known access log, telemetry or drift format');
}
