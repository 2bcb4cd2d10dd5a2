import { z } from 'zod';
import { describeZodIssues } from '../shared/describe-issues.js';
import { LedgerError } from '../shared/errors.js';
import { checkpointSchema, type Checkpoint } from './checkpoint.js';
import type { LedgerRecord } from './ledger-record.js';

/**
 * The audit topic's second copy of the ledger: the records and the signed checkpoints the service
 * published, as message values one a line (what `kafka-console-consumer` prints).
 */
export interface TopicCopy {
  readonly checkpoints: readonly Checkpoint[];
  /** `ledgerId` names the ledger a signed service published the record from. */
  readonly records: readonly { readonly seq: number; readonly hash: string; readonly ledgerId?: string }[];
}

/** A checkpoint's message on the audit topic: wrapped, so it is never mistaken for a record. */
export function checkpointMessage(checkpoint: Checkpoint): { key: string; value: string } {
  return { key: `checkpoint-${checkpoint.seq}`, value: JSON.stringify({ checkpoint }) };
}

/**
 * A record's message on the audit topic: the record, plus the id of a signed ledger so the copy of
 * one replica's ledger can be told from another's (the hash does not cover it; the checkpoints do).
 */
export function ledgerRecordMessage(record: LedgerRecord, ledgerId: string | undefined): { key: string; value: string } {
  return { key: String(record.seq), value: JSON.stringify(ledgerId === undefined ? record : { ...record, ledgerId }) };
}

const recordSchema = z.object({ seq: z.number().int().min(1), hash: z.string().regex(/^[0-9a-f]{64}$/), ledgerId: z.string().optional() });
const wrappedSchema = z.object({ checkpoint: checkpointSchema }).strict();

/** Parses a topic copy; throws `LedgerError` (`topic-copy-invalid`) naming the first bad line. */
export function parseTopicCopy(text: string, source: string): TopicCopy {
  const checkpoints: Checkpoint[] = [];
  const records: { seq: number; hash: string; ledgerId?: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new LedgerError('topic-copy-invalid', `${source}:${i + 1} is not a JSON message value`);
    }
    if (typeof json === 'object' && json !== null && 'checkpoint' in json) {
      const parsed = wrappedSchema.safeParse(json);
      if (!parsed.success) throw new LedgerError('topic-copy-invalid', `${source}:${i + 1} is not a checkpoint (${describeZodIssues(parsed.error)})`);
      checkpoints.push(parsed.data.checkpoint);
      continue;
    }
    const parsed = recordSchema.safeParse(json);
    if (!parsed.success) throw new LedgerError('topic-copy-invalid', `${source}:${i + 1} is neither a ledger record nor a checkpoint (${describeZodIssues(parsed.error)})`);
    const { seq, hash, ledgerId } = parsed.data;
    records.push(ledgerId === undefined ? { seq, hash } : { seq, hash, ledgerId });
  }
  return { checkpoints, records };
}
