import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** What the ledger records. */
export type LedgerRecordType = 'run' | 'anomaly' | 'incident' | 'case' | 'decision' | 'action' | 'refusal';

/** One line of the ledger. `hash` covers every other field, including the previous record's hash. */
export interface LedgerRecord {
  readonly seq: number;
  readonly recordedAt: string;
  readonly type: LedgerRecordType;
  readonly data: unknown;
  readonly prev: string;
  readonly hash: string;
}

/** The genesis `prev`: a ledger's first record chains to this. */
export const GENESIS = '0'.repeat(64);

export const LEDGER_FILE = 'ledger.jsonl';
/** The last sequence number and hash, kept beside the ledger so a cut-off tail is detected. */
export const HEAD_FILE = 'head.json';

/** sha256 over the previous hash and the canonical form of the record's content. */
export function hashRecord(record: Omit<LedgerRecord, 'hash'>): string {
  const body = canonicalJson({ seq: record.seq, recordedAt: record.recordedAt, type: record.type, data: record.data });
  return createHash('sha256').update(record.prev).update('\n').update(body).digest('hex');
}
