import { describe, expect, it } from 'vitest';
import { parseTopicCopy } from '../../../src/audit/topic-copy.js';

const hash = 'a'.repeat(64);
const checkpoint = { ledgerId: '0b6b8f3e-3f0e-4d6a-9c55-2f7f5d1f9a10', seq: 0, hash: '0'.repeat(64), at: '2026-12-06T00:00:00.000Z', alg: 'ed25519', keyId: 'ed25519:0011223344556677', signature: 'c2ln' };

describe('audit topic copy', () => {
  it('sorts message values into records and wrapped checkpoints, keeping a record\'s ledger id', () => {
    const text = [JSON.stringify({ seq: 1, hash, type: 'run', data: {} }), '', JSON.stringify({ checkpoint }), JSON.stringify({ seq: 2, hash, ledgerId: checkpoint.ledgerId })].join('\n');
    expect(parseTopicCopy(text, 'copy')).toEqual({ checkpoints: [checkpoint], records: [{ seq: 1, hash }, { seq: 2, hash, ledgerId: checkpoint.ledgerId }] });
  });

  it('names the first line that is neither, without quoting it', () => {
    expect(() => parseTopicCopy(`${JSON.stringify({ seq: 1, hash })}\nnot json`, 'copy.ndjson')).toThrow('copy.ndjson:2 is not a JSON message value');
    expect(() => parseTopicCopy(JSON.stringify({ checkpoint: { ...checkpoint, extra: 'SECRET-LOOKING' } }), 'copy')).toThrow(/^copy:1 is not a checkpoint \((?!.*SECRET-LOOKING)/);
    expect(() => parseTopicCopy(JSON.stringify({ seq: 0, hash }), 'copy')).toThrow(/copy:1 is neither a ledger record nor a checkpoint/);
  });
});
