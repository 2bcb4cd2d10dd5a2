import type {
  AccessLogRecord,
  DeadLetterCode,
  Envelope,
  KubernetesMeta,
  RecordOrigin,
} from './records.js';

/** What the access-log parsers need besides the line: where it came from and how it arrived. */
export interface AccessLogContext {
  readonly origin: RecordOrigin;
  readonly envelope: Envelope;
  readonly kubernetes?: KubernetesMeta;
}

/** Why a line was not accepted; `parseMessage` turns it into a dead letter. */
export interface Rejection {
  readonly kind: 'rejected';
  readonly code: DeadLetterCode;
  readonly reason: string;
}

/** An access-log record under construction: the parsers fill it in place, then hand it out. */
export type MutableAccessLogRecord = { -readonly [K in keyof AccessLogRecord]: AccessLogRecord[K] };

/** The response flags of a line whose RESPONSE_FLAGS is `-`: one shared, frozen empty list. */
export const NO_RESPONSE_FLAGS: readonly string[] = Object.freeze([]);

/** The context used when a parser is called without one (benchmarks, one-off checks). */
export const DETACHED_CONTEXT: AccessLogContext = Object.freeze({
  origin: Object.freeze({ source: 'inline', position: 0 }),
  envelope: 'raw',
});

/** Builds a {@link Rejection}. */
export function reject(code: DeadLetterCode, reason: string): Rejection {
  return { kind: 'rejected', code, reason };
}

/** Quotes a value for a reason text, cut short so that a huge value cannot bloat a dead letter. */
export function quote(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  else if (value === null) text = 'null';
  else if (Array.isArray(value)) text = 'an array';
  else if (typeof value === 'object') text = 'an object';
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else text = typeof value;
  return text;
}
