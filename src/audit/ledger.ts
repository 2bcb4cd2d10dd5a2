import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../shared/clock.js';
import { LedgerError } from '../shared/errors.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';
import { canonicalJson } from './canonical-json.js';

/** What the ledger records. */
export type LedgerRecordType = 'run' | 'anomaly' | 'incident' | 'decision' | 'action' | 'refusal';

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

/**
 * Append-only, hash-chained audit ledger in a directory: every record carries the hash of the one
 * before it, so editing, deleting or reordering any record breaks the chain (see verify-ledger.ts).
 * Appends are buffered and written by `flush()`, which the pipeline calls before it acknowledges input.
 */
export class Ledger {
  private pending: string[] = [];
  private seq: number;
  private last: string;

  private constructor(private readonly dir: string, private readonly clock: Clock, seq: number, last: string) {
    this.seq = seq;
    this.last = last;
  }

  /** Opens (or creates) the ledger in `dir`, continuing its chain. */
  static async open(dir: string, clock: Clock): Promise<Ledger> {
    await mkdir(dir, { recursive: true });
    let text = '';
    try {
      text = await readFile(join(dir, LEDGER_FILE), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new LedgerError('ledger-unreadable', 'cannot read the audit ledger', { cause: error });
    }
    const lines = text.split('\n').filter((l) => l !== '');
    const tail = lines[lines.length - 1];
    if (tail === undefined) return new Ledger(dir, clock, 0, GENESIS);
    try {
      const record = JSON.parse(tail) as LedgerRecord;
      return new Ledger(dir, clock, record.seq, record.hash);
    } catch (error) {
      throw new LedgerError('ledger-corrupt', `the last ledger record (line ${lines.length}) is not valid JSON; run "meshwarden audit verify"`, { cause: error });
    }
  }

  /** Queues a record; returns it with its hash. */
  append(type: LedgerRecordType, data: unknown): LedgerRecord {
    const unsigned = { seq: this.seq + 1, recordedAt: new Date(this.clock.now()).toISOString(), type, data, prev: this.last };
    const record: LedgerRecord = { ...unsigned, hash: hashRecord(unsigned) };
    this.seq = record.seq;
    this.last = record.hash;
    this.pending.push(JSON.stringify(record));
    return record;
  }

  /** Writes the queued records, then the head anchor. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = `${this.pending.join('\n')}\n`;
    this.pending = [];
    await appendFile(join(this.dir, LEDGER_FILE), chunk);
    const head = join(this.dir, HEAD_FILE);
    await writeFileAtomic(head, JSON.stringify({ seq: this.seq, hash: this.last }));
  }

  get lastSeq(): number {
    return this.seq;
  }
}
