import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../shared/clock.js';
import { LedgerError } from '../shared/errors.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';
import { CHECKPOINT_FILE, readCheckpoints, signCheckpoint, type Checkpoint } from './checkpoint.js';
import { checkCheckpoints, walkChain } from './ledger-check.js';
import type { LedgerSigner } from './ledger-signer.js';
import { GENESIS, HEAD_FILE, LEDGER_FILE, hashRecord, type LedgerRecord, type LedgerRecordType } from './ledger-record.js';

export { GENESIS, HEAD_FILE, LEDGER_FILE, hashRecord, type LedgerRecord, type LedgerRecordType };

/** How a ledger signs its chain. */
export interface LedgerSigning {
  /** The key, held outside the state directory (a mounted Secret, a file, Vault transit). */
  readonly signer: LedgerSigner;
  /**
   * Least time between two checkpoints; 0 (the default) signs at every flush that added records.
   * A longer interval saves signatures (a Vault round trip each with transit) at the price of a
   * longer unsigned tail.
   */
  readonly checkpointEveryMs?: number;
  /** Receives every checkpoint once written (the service publishes them to the audit topic). */
  readonly onCheckpoint?: (checkpoint: Checkpoint) => void;
}

/**
 * Append-only, hash-chained audit ledger in a directory: every record carries the hash of the one
 * before it, so editing, deleting or reordering any record breaks the chain (see verify-ledger.ts).
 * Appends are buffered and written by `flush()`, which the pipeline calls before it acknowledges input.
 *
 * A chain alone can be recomputed by whoever can write the directory. With a key, each flush also
 * signs a checkpoint (ledger id, sequence, head hash, time) into `checkpoints.jsonl`: records up to
 * a checkpoint cannot then be changed without the key. The ledger refuses to open (and so to be
 * extended) when its chain is broken or its checkpoints do not hold, so a run never builds on a
 * rewritten history.
 */
export class Ledger {
  private pending: string[] = [];
  private seq: number;
  private last: string;
  private checkpointedSeq: number;
  private checkpointedAt = Number.NEGATIVE_INFINITY;
  /** Flushes run one after another so records and checkpoints reach the files in order. */
  private flushing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly clock: Clock,
    private readonly signing: { readonly options: LedgerSigning; readonly ledgerId: string } | undefined,
    position: { seq: number; last: string; checkpointedSeq: number },
  ) {
    this.seq = position.seq;
    this.last = position.last;
    this.checkpointedSeq = position.checkpointedSeq;
  }

  /**
   * Opens (or creates) the ledger in `dir`, continuing its chain. Refuses, with a `LedgerError`,
   * a ledger whose chain is broken; with a key, also one whose checkpoints are missing, belong to
   * another key, do not verify or do not match the records; without one, a ledger that was signed.
   */
  static async open(dir: string, clock: Clock, signing?: LedgerSigning): Promise<Ledger> {
    await mkdir(dir, { recursive: true });
    let text = '';
    try {
      text = await readFile(join(dir, LEDGER_FILE), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new LedgerError('ledger-unreadable', 'cannot read the audit ledger', { cause: error });
    }
    const lines = text.split('\n').filter((l) => l !== '');
    const chain = walkChain(lines);
    if (!chain.ok) {
      throw new LedgerError('ledger-chain-broken', `the audit ledger is broken at line ${chain.line}${chain.seq === undefined ? '' : ` (seq ${chain.seq})`}: ${chain.problem}; it will not be extended (run "meshwarden audit verify")`);
    }
    const seq = chain.hashes.length;
    const last = chain.hashes[seq - 1] ?? GENESIS;
    const read = await readCheckpoints(dir);
    if (!read.ok) throw new LedgerError('ledger-checkpoint-corrupt', `${read.problem}; the audit ledger will not be extended (run "meshwarden audit verify")`);
    const { checkpoints } = read;
    if (signing === undefined) {
      if (checkpoints.length > 0) {
        throw new LedgerError('ledger-key-missing', `the audit ledger in ${dir} is signed (${CHECKPOINT_FILE}) but no ledger key is configured; configure the key it was signed with`);
      }
      return new Ledger(dir, clock, undefined, { seq, last, checkpointedSeq: 0 });
    }
    if (checkpoints.length === 0) {
      if (seq > 0) {
        throw new LedgerError('ledger-unsigned-history', `the audit ledger in ${dir} has ${seq} record(s) but no signed checkpoints: it was written without a key or its checkpoints were removed; verify and archive it, then start a new one`);
      }
      return Ledger.create(dir, clock, signing);
    }
    const check = await checkCheckpoints(chain.hashes, checkpoints, { verifier: signing.signer, signatures: 'ends' });
    if (!check.ok || check.ledgerId === undefined) {
      throw new LedgerError('ledger-checkpoint-invalid', `${check.ok ? 'no genesis checkpoint' : check.problem}; the audit ledger will not be extended (run "meshwarden audit verify")`);
    }
    return new Ledger(dir, clock, { options: signing, ledgerId: check.ledgerId }, { seq, last, checkpointedSeq: check.signedThrough });
  }

  /** A new, empty signed ledger: its genesis checkpoint binds a fresh ledger id to the key. */
  private static async create(dir: string, clock: Clock, signing: LedgerSigning): Promise<Ledger> {
    const ledger = new Ledger(dir, clock, { options: signing, ledgerId: randomUUID() }, { seq: 0, last: GENESIS, checkpointedSeq: 0 });
    await ledger.writeCheckpoint(0, GENESIS);
    return ledger;
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

  /** Writes the queued records, then (when due, with a key) a signed checkpoint, then the head anchor. */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushNow());
    // A failed flush is reported to its caller; the next one still runs.
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async flushNow(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = `${this.pending.join('\n')}\n`;
    this.pending = [];
    // What this chunk ends with; appends made while it is written belong to the next flush.
    const seq = this.seq;
    const hash = this.last;
    await appendFile(join(this.dir, LEDGER_FILE), chunk);
    if (this.signing && this.clock.now() - this.checkpointedAt >= (this.signing.options.checkpointEveryMs ?? 0)) {
      await this.writeCheckpoint(seq, hash);
    }
    await writeFileAtomic(join(this.dir, HEAD_FILE), JSON.stringify({ seq, hash }));
  }

  private async writeCheckpoint(seq: number, hash: string): Promise<void> {
    if (!this.signing) return;
    const { options, ledgerId } = this.signing;
    const at = this.clock.now();
    const checkpoint = await signCheckpoint(options.signer, { ledgerId, seq, hash, at: new Date(at).toISOString() });
    await appendFile(join(this.dir, CHECKPOINT_FILE), `${JSON.stringify(checkpoint)}\n`);
    this.checkpointedSeq = seq;
    this.checkpointedAt = at;
    options.onCheckpoint?.(checkpoint);
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The ledger id bound by the genesis checkpoint; undefined for an unsigned ledger. */
  get ledgerId(): string | undefined {
    return this.signing?.ledgerId;
  }

  /** Records written since the last signed checkpoint (all of them when unsigned). */
  get unsignedTail(): number {
    return this.seq - this.checkpointedSeq;
  }
}
