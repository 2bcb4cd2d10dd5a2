import { z } from 'zod';
import { describeZodIssues } from '../shared/describe-issues.js';
import { LedgerError } from '../shared/errors.js';
import { checkpointSchema, type Checkpoint } from './checkpoint.js';

/**
 * The audit topic's second copy of the ledger: the records and the signed checkpoints the service
 * published, as message values one a line (what `kafka-console-consumer` prints).
 */
export interface TopicCopy {
  readonly checkpoints: readonly Checkpoint[];
  readonly records: readonly { readonly seq: number; readonly hash: string }[];
}

/** A checkpoint's message on the audit topic: wrapped, so it is never mistaken for a record. */
export function checkpointMessage(checkpoint: Checkpoint): { key: string; value: string } {
  return { key: `checkpoint-${checkpoint.seq}`, value: JSON.stringify({ checkpoint }) };
}

const recordSchema = z.object({ seq: z.number().int().min(1), hash: z.string().regex(/^[0-9a-f]{64}$/) });
const wrappedSchema = z.object({ checkpoint: checkpointSchema }).strict();

/** Parses a topic copy; throws `LedgerError` (`topic-copy-invalid`) naming the first bad line. */
export function parseTopicCopy(text: string, source: string): TopicCopy {
  const checkpoints: Checkpoint[] = [];
  const records: { seq: number; hash: string }[] = [];
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
    records.push({ seq: parsed.data.seq, hash: parsed.data.hash });
  }
  return { checkpoints, records };
}
