import type { Checkpoint } from './checkpoint.js';
import { checkpointSignatureProblem } from './checkpoint.js';
import type { LedgerVerifier } from './ledger-signer.js';
import { GENESIS, hashRecord, type LedgerRecord } from './ledger-record.js';

/** A problem found in the ledger file, with the line (1-based) and record it concerns. */
export interface ChainProblem {
  readonly ok: false;
  /** Records that chained before the problem. */
  readonly records: number;
  readonly line: number;
  readonly seq?: number;
  readonly problem: string;
}

/** The ledger's records chain; `hashes[i]` is the hash of record `i + 1`. */
export interface ChainIntact {
  readonly ok: true;
  readonly hashes: readonly string[];
}

/**
 * Walks the chain from the genesis: each record must parse, number itself one more than the last,
 * point at the previous hash, and hash to what it claims. Reports the first bad record. This proves
 * the records are consistent with each other, not who wrote them: anyone can recompute a chain.
 */
export function walkChain(lines: readonly string[]): ChainIntact | ChainProblem {
  const hashes: string[] = [];
  let prev = GENESIS;
  let seq = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let record: LedgerRecord;
    try {
      record = JSON.parse(lines[i] ?? '') as LedgerRecord;
    } catch {
      return { ok: false, records: i, line, problem: 'not valid JSON' };
    }
    if (record.seq !== seq + 1) {
      return { ok: false, records: i, line, seq: record.seq, problem: `sequence ${record.seq} follows ${seq}: a record was deleted, inserted or moved` };
    }
    if (record.prev !== prev) {
      return { ok: false, records: i, line, seq: record.seq, problem: 'does not chain to the record before it: a record was deleted or reordered' };
    }
    const { hash, ...unsigned } = record;
    if (hashRecord(unsigned) !== hash) {
      return { ok: false, records: i, line, seq: record.seq, problem: 'content does not match its hash: the record was edited' };
    }
    hashes.push(hash);
    prev = hash;
    seq = record.seq;
  }
  return { ok: true, hashes };
}

/** How the checkpoints relate to the chain. */
export type CheckpointCheck =
  | { readonly ok: true; readonly ledgerId: string | undefined; readonly signedThrough: number }
  | { readonly ok: false; readonly seq?: number; readonly problem: string };

/** What `checkCheckpoints` checks besides consistency. */
export interface CheckpointCheckOptions {
  /** Checks signatures with this key; without it only consistency with the chain is checked. */
  readonly verifier?: LedgerVerifier;
  /** Every signature (verify) or the genesis and the last (opening the ledger to extend it). */
  readonly signatures: 'all' | 'ends';
  /** The ledger id the caller knows this ledger by (from the audit topic or a deployment record). */
  readonly expectLedgerId?: string;
}

/**
 * Holds the checkpoints against the chain: the first is the genesis, all name one ledger, they
 * advance, each names a record that exists with the hash it has, and (given a key) each is signed
 * by that key. A checkpoint past the last record means records were cut from the end; a hash that
 * differs means the records up to it were rewritten, however carefully the chain was recomputed.
 */
export async function checkCheckpoints(hashes: readonly string[], checkpoints: readonly Checkpoint[], options: CheckpointCheckOptions): Promise<CheckpointCheck> {
  const genesis = checkpoints[0];
  if (genesis === undefined) return { ok: true, ledgerId: undefined, signedThrough: 0 };
  if (genesis.seq !== 0 || genesis.hash !== GENESIS) {
    return { ok: false, seq: genesis.seq, problem: 'the first checkpoint is not the ledger\'s genesis (seq 0): the start of the checkpoint history was removed or replaced' };
  }
  if (options.expectLedgerId !== undefined && genesis.ledgerId !== options.expectLedgerId) {
    return { ok: false, seq: 0, problem: `the ledger id is ${genesis.ledgerId}, not the expected ${options.expectLedgerId}: the ledger was deleted and recreated` };
  }
  let previous = -1;
  for (const checkpoint of checkpoints) {
    const { seq } = checkpoint;
    if (checkpoint.ledgerId !== genesis.ledgerId) return { ok: false, seq, problem: `the checkpoint at seq ${seq} belongs to ledger ${checkpoint.ledgerId}, not ${genesis.ledgerId}` };
    if (seq <= previous) return { ok: false, seq, problem: `the checkpoint at seq ${seq} follows one at seq ${previous}: checkpoints were reordered or replayed` };
    previous = seq;
    if (seq > hashes.length) {
      return { ok: false, seq, problem: `a signed checkpoint covers record ${seq} but the ledger ends at record ${hashes.length}: records were removed from the end` };
    }
    const actual = seq === 0 ? GENESIS : hashes[seq - 1];
    if (actual !== checkpoint.hash) {
      return { ok: false, seq, problem: `record ${seq} does not match its signed checkpoint: records up to ${seq} were edited, removed or inserted and the chain recomputed` };
    }
  }
  const last = checkpoints[checkpoints.length - 1] ?? genesis;
  if (options.verifier) {
    const toVerify = options.signatures === 'all' ? checkpoints : last === genesis ? [genesis] : [genesis, last];
    for (const checkpoint of toVerify) {
      const problem = await checkpointSignatureProblem(options.verifier, checkpoint);
      if (problem !== undefined) return { ok: false, seq: checkpoint.seq, problem };
    }
  }
  return { ok: true, ledgerId: genesis.ledgerId, signedThrough: last.seq };
}
