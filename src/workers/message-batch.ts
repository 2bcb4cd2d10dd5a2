/**
 * A batch of input messages as ONE transferable ArrayBuffer, so a batch reaches a worker thread
 * with one postMessage and no per-message copies or structured clone:
 *
 *   header    Uint32 x 4      format, count, payload bytes, 0
 *   positions Float64 x count input positions (Kafka offsets, line numbers; exact up to 2^53)
 *   extras    Float64 x count -1: a message; -2: no value (a tombstone); n >= 0: a line cut at the
 *                             source's limit, n its length in characters
 *   offsets   Uint32 x count+1 byte offsets of each message in the payload
 *   payload   the messages' UTF-8 bytes, one after another
 */

import { MeshwardenError } from '../shared/errors.js';

const FORMAT = 0x4d570001;
const HEADER_BYTES = 16;
const TOMBSTONE = -2;
const MESSAGE = -1;

/** One message of a batch, as the main thread has it. */
export interface BatchMessage {
  /** The message's bytes or text; null for a message without a value (a Kafka tombstone). */
  readonly value: Uint8Array | string | null;
  readonly position: number;
  /** Set when the source cut the line at its limit: the line's full length in characters. */
  readonly cutFrom?: number;
}

/** One message of a batch, as the worker reads it. */
export type DecodedMessage =
  | { readonly kind: 'message'; readonly text: string; readonly position: number }
  | { readonly kind: 'tombstone'; readonly position: number }
  | { readonly kind: 'cut'; readonly text: string; readonly position: number; readonly length: number };

/** Raised when a buffer is not a batch this code wrote (a defect, never input). */
export class BatchFormatError extends MeshwardenError {
  constructor(message: string) {
    super('batch-format', message);
  }
}

/** Encodes `messages` into one ArrayBuffer (to transfer, not copy, to the worker). */
export function encodeBatch(messages: readonly BatchMessage[]): ArrayBuffer {
  const count = messages.length;
  let payloadBytes = 0;
  const sizes = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const value = messages[i]?.value ?? null;
    const size = value === null ? 0 : typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
    sizes[i] = size;
    payloadBytes += size;
  }
  if (payloadBytes > 0xffffffff) throw new RangeError(`a batch of ${payloadBytes} bytes is over the 4 GiB a batch can hold`);
  const tableBytes = HEADER_BYTES + 16 * count + 4 * (count + 1);
  const buffer = new ArrayBuffer(tableBytes + payloadBytes);
  const header = new Uint32Array(buffer, 0, 4);
  header[0] = FORMAT;
  header[1] = count;
  header[2] = payloadBytes;
  const positions = new Float64Array(buffer, HEADER_BYTES, count);
  const extras = new Float64Array(buffer, HEADER_BYTES + 8 * count, count);
  const offsets = new Uint32Array(buffer, HEADER_BYTES + 16 * count, count + 1);
  const payload = Buffer.from(buffer, tableBytes, payloadBytes);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const message = messages[i];
    if (message === undefined) continue;
    positions[i] = message.position;
    offsets[i] = at;
    const expectedEnd = at + (sizes[i] ?? 0);
    const value = message.value;
    extras[i] = value === null ? TOMBSTONE : message.cutFrom ?? MESSAGE;
    if (value === null) continue;
    if (typeof value === 'string') at += payload.write(value, at, 'utf8');
    else {
      payload.set(value, at);
      at += value.byteLength;
    }
    if (at !== expectedEnd) throw new RangeError('a message changed while its batch was encoded');
  }
  offsets[count] = at;
  return buffer;
}

/** Reads the messages of a batch, in order. */
export function* decodeBatch(buffer: ArrayBuffer): Generator<DecodedMessage> {
  if (buffer.byteLength < HEADER_BYTES) throw new BatchFormatError(`a batch of ${buffer.byteLength} bytes has no header`);
  const header = new Uint32Array(buffer, 0, 4);
  const count = header[1] ?? 0;
  const payloadBytes = header[2] ?? 0;
  const tableBytes = HEADER_BYTES + 16 * count + 4 * (count + 1);
  if (header[0] !== FORMAT || tableBytes + payloadBytes !== buffer.byteLength) throw new BatchFormatError('not a message batch of this version');
  const positions = new Float64Array(buffer, HEADER_BYTES, count);
  const extras = new Float64Array(buffer, HEADER_BYTES + 8 * count, count);
  const offsets = new Uint32Array(buffer, HEADER_BYTES + 16 * count, count + 1);
  const payload = Buffer.from(buffer, tableBytes, payloadBytes);
  for (let i = 0; i < count; i++) {
    const position = positions[i] ?? 0;
    const extra = extras[i] ?? MESSAGE;
    if (extra === TOMBSTONE) {
      yield { kind: 'tombstone', position };
      continue;
    }
    const start = offsets[i] ?? 0;
    const end = offsets[i + 1] ?? 0;
    if (start > end || end > payloadBytes) throw new BatchFormatError(`message ${i} lies outside the batch`);
    const text = payload.toString('utf8', start, end);
    yield extra === MESSAGE ? { kind: 'message', text, position } : { kind: 'cut', text, position, length: extra };
  }
}
