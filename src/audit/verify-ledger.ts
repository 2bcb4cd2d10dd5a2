import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointSignatureProblem, readCheckpoints, type Checkpoint } from './checkpoint.js';
import { checkCheckpoints, walkChain, type ChainProblem } from './ledger-check.js';
import type { LedgerVerifier } from './ledger-signer.js';
import { HEAD_FILE, LEDGER_FILE } from './ledger-record.js';
import type { TopicCopy } from './topic-copy.js';

/**
 * How far the ledger is proven. `verified`: checkpoints signed by the given key cover records up
 * to `signedThrough`. `unchecked`: the ledger has checkpoints but no key was given, so only their
 * consistency with the chain was checked. `unsigned`: no checkpoints; the chain detects accidents,
 * not forgery.
 */
export type SigningStatus = 'verified' | 'unchecked' | 'unsigned';

/** The outcome of checking a ledger. `line` is 0 when the problem is not one record's line. */
export type VerifyResult =
  | {
      readonly ok: true;
      readonly records: number;
      readonly signing: SigningStatus;
      readonly ledgerId?: string;
      readonly checkpoints: number;
      /** The last record a checkpoint covers (0: none but the genesis). */
      readonly signedThrough: number;
      /** Records after the last checkpoint: their removal could not be proven from the files. */
      readonly unsignedTail: number;
      /** Checkpoints and records of the topic copy that were compared with the files. */
      readonly topicCopy?: { readonly checkpoints: number; readonly records: number };
    }
  | ChainProblem;

/** What to check besides the chain. */
export interface VerifyOptions {
  /** The public key (or HMAC secret, or transit key) the checkpoints must be signed with. */
  readonly verifier?: LedgerVerifier;
  /** The ledger id this ledger must have (as recorded when it was created). */
  readonly expectLedgerId?: string;
  /** The second copy published to the audit topic. */
  readonly topicCopy?: TopicCopy;
}

/**
 * Checks a ledger directory: the chain (every record), the head anchor, the signed checkpoints
 * against the chain and the key, and the topic copy against the files. Reports the first problem.
 */
export async function verifyLedger(dir: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  let text: string;
  try {
    text = await readFile(join(dir, LEDGER_FILE), 'utf8');
  } catch {
    return { ok: false, records: 0, line: 0, problem: `no ledger at ${join(dir, LEDGER_FILE)}` };
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const chain = walkChain(lines);
  if (!chain.ok) return chain;
  const records = chain.hashes.length;
  const problem = (p: string, seq?: number): ChainProblem => ({ ok: false, records, line: 0, ...(seq === undefined ? {} : { seq }), problem: p });
  const lastHash = chain.hashes[records - 1];
  try {
    const head = JSON.parse(await readFile(join(dir, HEAD_FILE), 'utf8')) as { seq: number; hash: string };
    if (head.seq !== records || head.hash !== lastHash) {
      return { ok: false, records, line: records, seq: records, problem: `the ledger ends at record ${records} but its head says ${head.seq}: records were removed from the end` };
    }
  } catch {
    if (records > 0) return { ok: false, records, line: records, problem: `the head anchor ${HEAD_FILE} is missing or unreadable` };
  }

  const read = await readCheckpoints(dir);
  if (!read.ok) return problem(read.problem);
  const { checkpoints } = read;
  if (checkpoints.length === 0 && (options.verifier !== undefined || options.expectLedgerId !== undefined)) {
    return problem('the ledger has no signed checkpoints: it was deleted and recreated, written without the key, or its checkpoints were removed');
  }
  const check = await checkCheckpoints(chain.hashes, checkpoints, {
    signatures: 'all',
    ...(options.verifier ? { verifier: options.verifier } : {}),
    ...(options.expectLedgerId === undefined ? {} : { expectLedgerId: options.expectLedgerId }),
  });
  if (!check.ok) return problem(check.problem, check.seq);

  let topicCopy: { checkpoints: number; records: number } | undefined;
  if (options.topicCopy) {
    const compared = await compareTopicCopy(chain.hashes, check.ledgerId, options.topicCopy, options.verifier);
    if (typeof compared === 'string') return problem(compared);
    topicCopy = compared;
  }
  const signing: SigningStatus = checkpoints.length === 0 ? 'unsigned' : options.verifier ? 'verified' : 'unchecked';
  return {
    ok: true, records, signing, checkpoints: checkpoints.length,
    ...(check.ledgerId === undefined ? {} : { ledgerId: check.ledgerId }),
    signedThrough: check.signedThrough, unsignedTail: records - check.signedThrough,
    ...(topicCopy ? { topicCopy } : {}),
  };
}

/**
 * Holds the published copy against the files. Every checkpoint and record in the copy must be in
 * the files with the same hash: one the files lack, or have with another hash, means records were
 * removed or rewritten after they were published. Checkpoints of another ledger id mean the ledger
 * was deleted and started again. The copy may lag the files; that is not a problem.
 */
async function compareTopicCopy(
  hashes: readonly string[], ledgerId: string | undefined, copy: TopicCopy, verifier: LedgerVerifier | undefined,
): Promise<{ checkpoints: number; records: number } | string> {
  for (const checkpoint of copy.checkpoints) {
    if (verifier) {
      // A copy entry the key did not sign proves nothing either way: someone wrote to the topic.
      const bad = await checkpointSignatureProblem(verifier, checkpoint);
      if (bad !== undefined) return `topic copy: ${bad}`;
    }
    if (ledgerId !== checkpoint.ledgerId) {
      return `the topic copy has checkpoints of ledger ${checkpoint.ledgerId} but the files are ${ledgerId === undefined ? 'unsigned' : `ledger ${ledgerId}`}: the ledger was deleted and recreated (or the copy holds another replica's ledger: keep only this one's)`;
    }
    const mismatch = copyMismatch(hashes, checkpoint);
    if (mismatch !== undefined) return mismatch;
  }
  for (const record of copy.records) {
    if (record.ledgerId !== undefined && record.ledgerId !== ledgerId) {
      return `the topic copy has records of ledger ${record.ledgerId} but the files are ${ledgerId === undefined ? 'unsigned' : `ledger ${ledgerId}`}: the ledger was deleted and recreated (or the copy holds another replica's ledger: keep only this one's)`;
    }
    if (record.seq > hashes.length) return `the topic copy has record ${record.seq} but the ledger ends at record ${hashes.length}: records were removed from the end`;
    if (hashes[record.seq - 1] !== record.hash) return `record ${record.seq} differs from its published copy: it was rewritten, or records before it were removed or inserted`;
  }
  return { checkpoints: copy.checkpoints.length, records: copy.records.length };
}

function copyMismatch(hashes: readonly string[], checkpoint: Checkpoint): string | undefined {
  if (checkpoint.seq === 0) return undefined;
  if (checkpoint.seq > hashes.length) return `the topic copy has a checkpoint at record ${checkpoint.seq} but the ledger ends at record ${hashes.length}: records were removed from the end`;
  if (hashes[checkpoint.seq - 1] !== checkpoint.hash) return `record ${checkpoint.seq} does not match its published checkpoint: records up to it were rewritten`;
  return undefined;
}
