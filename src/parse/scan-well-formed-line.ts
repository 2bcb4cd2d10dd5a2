/**
 * The fast path for Istio TEXT access-log lines: one left-to-right pass over a well-formed line of
 * the 22-field default format, reading numbers and the START_TIME in place and slicing out only
 * the fields a record keeps (none for Envoy's `-`).
 *
 * "Well-formed" is exact: `[START_TIME] "METHOD PATH PROTOCOL" CODE FLAGS DETAILS TERMINATION
 * "UTFR" RX TX DURATION UPSTREAM_TIME "XFF" "UA" "REQUEST_ID" "AUTHORITY" "UPSTREAM_HOST" CLUSTER
 * ULA DLA DRA SNI ROUTE`, fields separated by one space, no `"` inside a quoted field and no space
 * inside the request's three parts, numbers of 1 to 15 digits, optional trailing whitespace. Any
 * other line (a `"` inside a User-Agent, a viewer prefix, damage, a pre-1.9 line) is left to the
 * lenient scanner in `parse-access-log-text.ts`, which decides and names the bad field.
 */
import { NO_RESPONSE_FLAGS, type AccessLogContext, type MutableAccessLogRecord } from './access-log-context.js';
import { parseTimestampRange } from './parse-timestamp.js';
import { setUpstreamCluster } from './set-upstream-cluster.js';

const QUOTE = 34;
const SPACE = 32;
const DASH = 45;
const COMMA = 44;
const SEMICOLON = 59;
const OPEN_BRACKET = 91;

// Set by uintAt: the index just past the digits it read. A module-level cursor instead of a
// returned pair keeps the pass free of allocations; the scan is synchronous, so no caller can
// observe it half-way.
let cursor = 0;

/** Reads 1 to 15 decimal digits at i (exact below 2^53); -1 when there are none or more. */
function uintAt(s: string, i: number): number {
  let value = 0;
  let j = i;
  for (;;) {
    const c = s.charCodeAt(j) - 48;
    if (!(c >= 0 && c <= 9)) break;
    value = value * 10 + c;
    j++;
  }
  cursor = j;
  return j === i || j - i > 15 ? -1 : value;
}

/** Index of the first space at or after i, or -1 when the field is empty or runs to the end. */
function fieldEnd(s: string, i: number): number {
  const j = s.indexOf(' ', i);
  return j > i ? j : -1;
}

/** Index of the `"` closing a quoted field whose text starts at i, when a space follows it; else -1. */
function quotedEnd(s: string, i: number): number {
  const j = s.indexOf('"', i);
  return j >= 0 && s.charCodeAt(j + 1) === SPACE ? j : -1;
}

/** Index of the space or `"` that ends a part of the request field starting at i (s.length if none). */
function requestPartEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === SPACE || c === QUOTE) return j;
    j++;
  }
  return j;
}

/** ECMAScript WhiteSpace or LineTerminator: what `\s` matches. */
function isWhitespace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** The field text, or undefined for Envoy's empty markers `-` and ``. */
function optional(s: string, start: number, end: number): string | undefined {
  if (end <= start) return undefined;
  if (end - start === 1 && s.charCodeAt(start) === DASH) return undefined;
  return s.slice(start, end);
}

/** RESPONSE_FLAGS: `-` for none, else comma-separated short codes. */
function flagsOf(s: string, start: number, end: number): readonly string[] {
  if (end - start === 1 && s.charCodeAt(start) === DASH) return NO_RESPONSE_FLAGS;
  const text = s.slice(start, end);
  // A charCode loop rather than includes(): flags are a few characters, and a builtin call costs
  // more than reading them.
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === COMMA) return text.split(',');
  return [text];
}

/**
 * Reads a well-formed line (see the file comment) into a record; undefined for any other line,
 * and for a well-formed line with an impossible START_TIME, an X-ENVOY-UPSTREAM-SERVICE-TIME that
 * is neither digits nor `-`, or a RESPONSE_CODE_DETAILS that starts like a pre-1.9 line (a `"` or
 * a digit). Never throws.
 */
export function scanWellFormedLine(s: string, context: AccessLogContext): MutableAccessLogRecord | undefined {
  if (s.charCodeAt(0) !== OPEN_BRACKET) return undefined;
  const close = s.indexOf(']', 1);
  if (close < 2 || s.charCodeAt(close + 1) !== SPACE || s.charCodeAt(close + 2) !== QUOTE) return undefined;
  const timestamp = parseTimestampRange(s, 1, close);
  if (timestamp === undefined) return undefined;

  // "METHOD PATH PROTOCOL"
  const methodStart = close + 3;
  const methodEnd = requestPartEnd(s, methodStart);
  if (s.charCodeAt(methodEnd) !== SPACE) return undefined;
  const pathEnd = requestPartEnd(s, methodEnd + 1);
  if (s.charCodeAt(pathEnd) !== SPACE) return undefined;
  const protocolEnd = requestPartEnd(s, pathEnd + 1);
  if (s.charCodeAt(protocolEnd) !== QUOTE || s.charCodeAt(protocolEnd + 1) !== SPACE) return undefined;

  const responseCode = uintAt(s, protocolEnd + 2);
  if (responseCode < 0 || s.charCodeAt(cursor) !== SPACE) return undefined;
  const flagsStart = cursor + 1;
  const flagsEnd = fieldEnd(s, flagsStart);
  if (flagsEnd < 0) return undefined;
  const detailsStart = flagsEnd + 1;
  const detailsEnd = fieldEnd(s, detailsStart);
  if (detailsEnd < 0) return undefined;
  // RESPONSE_CODE_DETAILS never starts with a quote or a digit; pre-1.9 lines have those there.
  const d0 = s.charCodeAt(detailsStart);
  if (d0 === QUOTE || (d0 >= 48 && d0 <= 57)) return undefined;
  const termStart = detailsEnd + 1;
  const termEnd = fieldEnd(s, termStart);
  if (termEnd < 0 || s.charCodeAt(termEnd + 1) !== QUOTE) return undefined;
  const utfrStart = termEnd + 2;
  const utfrEnd = quotedEnd(s, utfrStart);
  if (utfrEnd < 0) return undefined;

  const bytesReceived = uintAt(s, utfrEnd + 2);
  if (bytesReceived < 0 || s.charCodeAt(cursor) !== SPACE) return undefined;
  const bytesSent = uintAt(s, cursor + 1);
  if (bytesSent < 0 || s.charCodeAt(cursor) !== SPACE) return undefined;
  const duration = uintAt(s, cursor + 1);
  if (duration < 0 || s.charCodeAt(cursor) !== SPACE) return undefined;
  const ustStart = cursor + 1;
  const ustEnd = fieldEnd(s, ustStart);
  if (ustEnd < 0) return undefined;
  let upstreamServiceTime: number | undefined;
  if (!(ustEnd - ustStart === 1 && s.charCodeAt(ustStart) === DASH)) {
    upstreamServiceTime = uintAt(s, ustStart);
    if (upstreamServiceTime < 0 || cursor !== ustEnd) return undefined;
  }

  // "XFF" "UA" "REQUEST_ID" "AUTHORITY" "UPSTREAM_HOST"
  if (s.charCodeAt(ustEnd + 1) !== QUOTE) return undefined;
  const xffStart = ustEnd + 2;
  const xffEnd = quotedEnd(s, xffStart);
  if (xffEnd < 0 || s.charCodeAt(xffEnd + 2) !== QUOTE) return undefined;
  const uaStart = xffEnd + 3;
  const uaEnd = quotedEnd(s, uaStart);
  if (uaEnd < 0 || s.charCodeAt(uaEnd + 2) !== QUOTE) return undefined;
  const idStart = uaEnd + 3;
  const idEnd = quotedEnd(s, idStart);
  if (idEnd < 0 || s.charCodeAt(idEnd + 2) !== QUOTE) return undefined;
  const authorityStart = idEnd + 3;
  const authorityEnd = quotedEnd(s, authorityStart);
  if (authorityEnd < 0 || s.charCodeAt(authorityEnd + 2) !== QUOTE) return undefined;
  const hostStart = authorityEnd + 3;
  const hostEnd = quotedEnd(s, hostStart);
  if (hostEnd < 0) return undefined;

  // UPSTREAM_CLUSTER (up to a 1.23-1.24 `;` suffix) ULA DLA DRA SNI ROUTE
  const clusterStart = hostEnd + 2;
  const c0 = s.charCodeAt(clusterStart);
  if (c0 === SEMICOLON) return undefined;
  const clusterFieldEnd = fieldEnd(s, clusterStart);
  if (clusterFieldEnd < 0) return undefined;
  let clusterEnd = clusterStart + 1;
  while (clusterEnd < clusterFieldEnd && s.charCodeAt(clusterEnd) !== SEMICOLON) clusterEnd++;
  const ulaStart = clusterFieldEnd + 1;
  const ulaEnd = fieldEnd(s, ulaStart);
  if (ulaEnd < 0) return undefined;
  const dlaStart = ulaEnd + 1;
  const dlaEnd = fieldEnd(s, dlaStart);
  if (dlaEnd < 0) return undefined;
  const draStart = dlaEnd + 1;
  const draEnd = fieldEnd(s, draStart);
  if (draEnd < 0) return undefined;
  const sniStart = draEnd + 1;
  const sniEnd = fieldEnd(s, sniStart);
  if (sniEnd < 0) return undefined;
  const routeStart = sniEnd + 1;
  let routeEnd = routeStart;
  const n = s.length;
  while (routeEnd < n && !isWhitespace(s.charCodeAt(routeEnd))) routeEnd++;
  if (routeEnd === routeStart) return undefined;
  for (let i = routeEnd; i < n; i++) if (!isWhitespace(s.charCodeAt(i))) return undefined;

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
  const method = optional(s, methodStart, methodEnd);
  if (method !== undefined) record.method = method;
  const path = optional(s, methodEnd + 1, pathEnd);
  if (path !== undefined) record.path = path;
  const protocol = optional(s, pathEnd + 1, protocolEnd);
  if (protocol !== undefined) record.protocol = protocol;
  const details = optional(s, detailsStart, detailsEnd);
  if (details !== undefined) record.responseCodeDetails = details;
  const term = optional(s, termStart, termEnd);
  if (term !== undefined) record.connectionTerminationDetails = term;
  const utfr = optional(s, utfrStart, utfrEnd);
  if (utfr !== undefined) record.upstreamTransportFailureReason = utfr;
  if (upstreamServiceTime !== undefined) record.upstreamServiceTime = upstreamServiceTime;
  const xff = optional(s, xffStart, xffEnd);
  if (xff !== undefined) record.xForwardedFor = xff;
  const ua = optional(s, uaStart, uaEnd);
  if (ua !== undefined) record.userAgent = ua;
  const requestId = optional(s, idStart, idEnd);
  if (requestId !== undefined) record.requestId = requestId;
  const authority = optional(s, authorityStart, authorityEnd);
  if (authority !== undefined) record.authority = authority;
  const upstreamHost = optional(s, hostStart, hostEnd);
  if (upstreamHost !== undefined) record.upstreamHost = upstreamHost;
  const sni = optional(s, sniStart, sniEnd);
  const cluster = optional(s, clusterStart, clusterEnd);
  if (cluster !== undefined) setUpstreamCluster(record, cluster, sni);
  const ula = optional(s, ulaStart, ulaEnd);
  if (ula !== undefined) record.upstreamLocalAddress = ula;
  const dla = optional(s, dlaStart, dlaEnd);
  if (dla !== undefined) record.downstreamLocalAddress = dla;
  const dra = optional(s, draStart, draEnd);
  if (dra !== undefined) record.downstreamRemoteAddress = dra;
  if (sni !== undefined) record.requestedServerName = sni;
  const routeName = optional(s, routeStart, routeEnd);
  if (routeName !== undefined) record.routeName = routeName;
  if (context.kubernetes !== undefined) record.kubernetes = context.kubernetes;
  return record;
}
