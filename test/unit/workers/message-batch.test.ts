import { describe, expect, it } from 'vitest';
import { BatchFormatError, decodeBatch, encodeBatch, type BatchMessage } from '../../../src/workers/message-batch.js';

describe('a batch of messages in one buffer', () => {
  it('gives back every message, its position and its kind, in order, whatever its bytes', () => {
    const messages: BatchMessage[] = [
      { value: '{"a":1}', position: 0 },
      { value: 'zürich → 東京 🚀', position: 1 },
      { value: null, position: 2 },
      { value: '', position: 3 },
      { value: Buffer.from('bytes from Kafka', 'utf8'), position: 2 ** 53 - 1 },
      { value: 'the beginning of a long line', position: 7, cutFrom: 2_000_000 },
    ];
    expect([...decodeBatch(encodeBatch(messages))]).toEqual([
      { kind: 'message', text: '{"a":1}', position: 0 },
      { kind: 'message', text: 'zürich → 東京 🚀', position: 1 },
      { kind: 'tombstone', position: 2 },
      { kind: 'message', text: '', position: 3 },
      { kind: 'message', text: 'bytes from Kafka', position: 2 ** 53 - 1 },
      { kind: 'cut', text: 'the beginning of a long line', position: 7, length: 2_000_000 },
    ]);
  });

  it('reads invalid UTF-8 as the service reads a Kafka value: replacement characters, no error', () => {
    const [decoded] = [...decodeBatch(encodeBatch([{ value: Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), position: 0 }]))];
    expect(decoded).toEqual({ kind: 'message', text: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('utf8'), position: 0 });
  });

  it('is one buffer that can be transferred: nothing of it is shared with the messages', () => {
    const value = Buffer.from('shared?', 'utf8');
    const buffer = encodeBatch([{ value, position: 0 }]);
    value.fill(0);
    expect([...decodeBatch(buffer)]).toEqual([{ kind: 'message', text: 'shared?', position: 0 }]);
    expect(encodeBatch([]).byteLength).toBe(20);
  });

  it('refuses a buffer it did not write, instead of reading past its end', () => {
    const buffer = encodeBatch([{ value: 'abc', position: 0 }]);
    expect(() => [...decodeBatch(buffer.slice(0, buffer.byteLength - 1))]).toThrow(BatchFormatError);
    expect(() => [...decodeBatch(new ArrayBuffer(8))]).toThrow(BatchFormatError);
    const forged = encodeBatch([{ value: 'abc', position: 0 }, { value: 'de', position: 1 }]);
    // The second message's offset moved beyond the payload.
    new Uint32Array(forged, 16 + 16 * 2, 3)[1] = 1_000;
    expect(() => [...decodeBatch(forged)]).toThrow(/lies outside the batch/);
  });
});
