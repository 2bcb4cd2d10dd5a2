/**
 * Payload sniffing: once any envelope is off, what is this line? An Istio TEXT or JSON access log,
 * a `model_telemetry.v1` or `drift_metric.v1` record, a Falco alert, an istio-proxy application
 * log, or unknown.
 */
import { quote, reject, type AccessLogContext, type Rejection } from './access-log-context.js';
import { DRIFT_METRIC_SCHEMA, parseDriftMetric } from './drift-metric-schema.js';
import { MODEL_TELEMETRY_SCHEMA, parseModelTelemetry } from './model-telemetry-schema.js';
import { parseAccessLogJson } from './parse-access-log-json.js';
import { parseAccessLogText } from './parse-access-log-text.js';
import { looksLikeFalcoEvent, parseFalcoEvent } from './parse-falco-event.js';
import type { ParsedRecord } from './records.js';

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Index of the first character that is not JSON whitespace (or a byte-order mark). */
export function firstContentIndex(text: string): number {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9 && c !== 0xfeff) break;
    i++;
  }
  return i;
}

/** A successfully decoded JSON object, boxed so that it cannot be mistaken for a rejection. */
export interface Decoded {
  readonly object: Record<string, unknown>;
}

/**
 * `JSON.parse` that reports failure as a rejection instead of throwing. Only called on text that
 * starts with `{`, so success means an object.
 */
export function decodeJsonObject(text: string, what: string): Decoded | Rejection {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return reject('invalid-json', `${what} starts with '{' but is not valid JSON: ${detail}`);
  }
  if (!isJsonObject(value)) return reject('unknown-shape', `${what} is JSON but not an object`);
  return { object: value };
}

/** Reads a decoded JSON object that carries no envelope (or came out of one). */
export function parsePayloadObject(
  obj: Readonly<Record<string, unknown>>,
  context: AccessLogContext,
): ParsedRecord | Rejection {
  const schema = obj.schema;
  if (schema !== undefined) {
    if (schema === MODEL_TELEMETRY_SCHEMA) return parseModelTelemetry(obj, context.origin, context.kubernetes);
    if (schema === DRIFT_METRIC_SCHEMA) return parseDriftMetric(obj, context.origin, context.kubernetes);
    return reject(
      'unknown-shape',
      `unknown schema ${quote(schema)}: expected ${MODEL_TELEMETRY_SCHEMA} or ${DRIFT_METRIC_SCHEMA}`,
    );
  }
  if (obj.response_code !== undefined) return parseAccessLogJson(obj, context);
  if (looksLikeFalcoEvent(obj)) return parseFalcoEvent(obj, context);
  if (obj.level !== undefined && (obj.scope !== undefined || obj.msg !== undefined)) {
    return reject('not-access-log', 'an istio-proxy application log in JSON (level/scope/msg), not an access log');
  }
  return reject(
    'unknown-shape',
    'a JSON object that is neither an access log (no response_code), a telemetry or drift record (no schema) nor a Falco alert (no rule and priority)',
  );
}

/** Reads one line of text: JSON when it starts with `{`, else an Istio TEXT access log. */
export function parsePayloadText(line: string, context: AccessLogContext): ParsedRecord | Rejection {
  const first = firstContentIndex(line);
  if (line.charCodeAt(first) === 123) {
    const decoded = decodeJsonObject(line, 'the line');
    return 'object' in decoded ? parsePayloadObject(decoded.object, context) : decoded;
  }
  return parseAccessLogText(line, context);
}
