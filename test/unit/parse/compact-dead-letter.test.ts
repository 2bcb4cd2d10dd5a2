import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeadLetterCompactor } from '../../../src/parse/compact-dead-letter.js';

const origin = { source: 'in', position: 1 };

describe('DeadLetterCompactor', () => {
  it('keeps a short text whole with its length and hash', () => {
    const stored = new DeadLetterCompactor().compact({ code: 'unknown-shape', reason: 'r', raw: 'héllo', origin });
    expect(stored).toEqual({ code: 'unknown-shape', reason: 'r', origin, raw: 'héllo', rawBytes: 6, rawSha256: createHash('sha256').update('héllo').digest('hex'), rawTruncated: false });
  });

  it('cuts a long text to the prefix size in UTF-8 bytes, never splitting a character', () => {
    const raw = 'é'.repeat(10_000);
    const stored = new DeadLetterCompactor(4096).compact({ code: 'oversized', reason: 'r', raw, origin });
    expect(Buffer.byteLength(stored.raw ?? '')).toBeLessThanOrEqual(4096);
    expect(stored.raw).toBe('é'.repeat(2048));
    expect(stored).toMatchObject({ rawBytes: 20_000, rawTruncated: true });
  });

  it('carries one message\'s text once, however many letters it yields, and again for the next message', () => {
    const c = new DeadLetterCompactor();
    const raw = 'x'.repeat(100);
    const first = c.compact({ code: 'late', reason: 'r', raw, origin });
    const second = c.compact({ code: 'late', reason: 'r', raw, origin, recordIndex: 1 });
    expect(first.raw).toBe(raw);
    expect(second.raw).toBeUndefined();
    expect(second.rawSha256).toBe(first.rawSha256);
    c.nextMessage();
    expect(c.compact({ code: 'late', reason: 'r', raw, origin }).raw).toBe(raw);
  });
});
