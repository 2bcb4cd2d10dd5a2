/**
 * The edge of the engine: one input message (an NDJSON line from a file, or one Kafka message
 * value) in, typed records and dead letters out. Envelope first (OTLP-JSON batch, Fluent Bit,
 * Vector, docker json-file, or none), then the payload (Istio TEXT or JSON access log,
 * `model_telemetry.v1`, `drift_metric.v1`).
 */
import type { AccessLogContext, Rejection } from './access-log-context.js';
import { parseAccessLogText } from './parse-access-log-text.js';
import { parseOtlpBatch } from './parse-otlp-batch.js';
import type { KubernetesBlocks } from './kubernetes-blocks.js';
import { decodeJsonObject, firstContentIndex, parsePayloadObject, parsePayloadText } from './parse-payload.js';
import type { DeadLetter, DeadLetterCode, Envelope, KubernetesMeta, ParseOutcome, ParsedRecord, RecordOrigin } from './records.js';
import { unwrapEnvelope } from './unwrap-envelope.js';

/** Options of {@link parseMessage}. */
export interface ParseOptions {
  /** Messages over this many UTF-8 bytes are dead-lettered unread. Default 1 MiB. */
  readonly maxBytes?: number;
  /** Kubernetes blocks of envelopes seen before, reused instead of parsed again (one per stream). */
  readonly blocks?: KubernetesBlocks;
}

/** The default message size limit: 1 MiB, Kafka's default `max.message.bytes`. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/** The empty side of most outcomes, shared: the arrays of an outcome are never written to. */
const NONE: readonly never[] = Object.freeze([]);

function outcome(result: ParsedRecord | Rejection, raw: string, origin: RecordOrigin, context?: AccessLogContext): ParseOutcome {
  if (result.kind !== 'rejected') return { records: [result], deadLetters: NONE };
  return { records: NONE, deadLetters: [deadLetter(result, raw, origin, context?.envelope, context?.kubernetes)] };
}

function deadLetter(
  rejection: Rejection,
  raw: string,
  origin: RecordOrigin,
  envelope?: Envelope,
  kubernetes?: KubernetesMeta,
): DeadLetter {
  const letter: { -readonly [K in keyof DeadLetter]: DeadLetter[K] } = {
    reason: rejection.reason,
    code: rejection.code,
    raw,
    origin,
  };
  if (envelope !== undefined && envelope !== 'raw') letter.envelope = envelope;
  if (kubernetes !== undefined) letter.kubernetes = kubernetes;
  return letter;
}

/** UTF-8 size, computed only when the UTF-16 length leaves it in doubt. */
function isOversized(raw: string, maxBytes: number): boolean {
  // Every UTF-16 code unit is at least one UTF-8 byte and at most three.
  if (raw.length > maxBytes) return true;
  if (raw.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(raw, 'utf8') > maxBytes;
}

function parseUnchecked(raw: string, origin: RecordOrigin, blocks: KubernetesBlocks | undefined): ParseOutcome {
  const first = firstContentIndex(raw);
  if (raw.charCodeAt(first) !== 123) {
    return outcome(parseAccessLogText(raw, { origin, envelope: 'raw' }), raw, origin);
  }
  const decoded = blocks !== undefined ? blocks.decode(raw, 'the message') : decodeJsonObject(raw, 'the message');
  if (!('object' in decoded)) return outcome(decoded, raw, origin);
  const obj = decoded.object;
  if (obj.resourceLogs !== undefined) return parseOtlpBatch(obj, raw, origin);

  const unwrapped = unwrapEnvelope(obj, origin);
  if (unwrapped === undefined) return outcome(parsePayloadObject(obj, { origin, envelope: 'raw' }), raw, origin);
  if ('kind' in unwrapped) return outcome(unwrapped, raw, origin);
  // The unwrapped line carries its own context (origin, envelope, Kubernetes metadata).
  const payload = unwrapped.payload;
  if (typeof payload === 'string') return outcome(parsePayloadText(payload, unwrapped), payload, origin, unwrapped);
  return outcome(parsePayloadObject(payload, unwrapped), raw, origin, unwrapped);
}

/**
 * Parses one input message into typed records and dead letters. Never throws.
 *
 * Accounting: a message that is not an OTLP-JSON batch yields exactly one record or one dead
 * letter; a batch yields one per log record, or a single `invalid-batch` dead letter when it is
 * empty or cannot be walked. A dead letter's `raw` is the message, or for a line inside an
 * envelope, that line.
 */
export function parseMessage(raw: string, origin: RecordOrigin, options: ParseOptions = {}): ParseOutcome {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (isOversized(raw, maxBytes)) {
    return {
      records: [],
      deadLetters: [
        {
          reason: `message of ${Buffer.byteLength(raw, 'utf8')} bytes is over the ${maxBytes}-byte limit; not parsed`,
          code: 'oversized' satisfies DeadLetterCode,
          raw,
          origin,
        },
      ],
    };
  }
  try {
    return parseUnchecked(raw, origin, options.blocks);
  } catch (error) {
    // A safety net, not a code path: the fuzz tests assert it is never taken. One bad message must
    // not stop the stream, so even a parser bug ends as a dead letter.
    const detail = error instanceof Error ? error.message : String(error);
    return {
      records: [],
      deadLetters: [{ reason: `parser failure: ${detail}`, code: 'internal-error' satisfies DeadLetterCode, raw, origin }],
    };
  }
}
