import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describeZodIssues } from '../shared/describe-issues.js';
import { LedgerError } from '../shared/errors.js';
import { canonicalJson } from './canonical-json.js';
import type { LedgerSigner, LedgerVerifier } from './ledger-signer.js';

/** Signed checkpoints, one JSON object a line, beside the ledger. */
export const CHECKPOINT_FILE = 'checkpoints.jsonl';

/**
 * A signed statement that record `seq` of ledger `ledgerId` has hash `hash`. The first checkpoint
 * of every signed ledger is its genesis (seq 0, the all-zero hash): it binds the ledger id, chosen
 * at random when the ledger is created, so a deleted and recreated ledger shows a different id.
 */
export const checkpointSchema = z
  .object({
    ledgerId: z.string().regex(/^[0-9a-f-]{36}$/, 'a UUID'),
    seq: z.number().int().min(0),
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest'),
    at: z.string(),
    alg: z.enum(['ed25519', 'hmac-sha256', 'vault-transit']),
    keyId: z.string().min(1),
    signature: z.string().min(1),
  })
  .strict();

/** One signed checkpoint. */
export type Checkpoint = z.infer<typeof checkpointSchema>;

/** What is signed: every field but the signature, canonical, behind a label no other message uses. */
export function checkpointPayload(checkpoint: Omit<Checkpoint, 'signature'>): Buffer {
  const { ledgerId, seq, hash, at, alg, keyId } = checkpoint;
  return Buffer.from(`meshwarden-ledger-checkpoint/v1\n${canonicalJson({ ledgerId, seq, hash, at, alg, keyId })}`, 'utf8');
}

/** Signs a checkpoint of record `seq` (hash `hash`). */
export async function signCheckpoint(signer: LedgerSigner, fields: { ledgerId: string; seq: number; hash: string; at: string }): Promise<Checkpoint> {
  const unsigned = { ...fields, alg: signer.algorithm, keyId: signer.keyId };
  return { ...unsigned, signature: await signer.sign(checkpointPayload(unsigned)) };
}

/** Why a checkpoint's signature is not good, or undefined when it is. */
export async function checkpointSignatureProblem(verifier: LedgerVerifier, checkpoint: Checkpoint): Promise<string | undefined> {
  if (checkpoint.keyId !== verifier.keyId || checkpoint.alg !== verifier.algorithm) {
    return `the checkpoint at seq ${checkpoint.seq} was signed by key ${checkpoint.keyId}, not by the given key ${verifier.keyId}`;
  }
  const { signature, ...unsigned } = checkpoint;
  if (!(await verifier.verify(checkpointPayload(unsigned), signature))) return `the signature of the checkpoint at seq ${checkpoint.seq} does not verify: it was forged or edited`;
  return undefined;
}

/** The checkpoints of a ledger directory, in file order, with the line each came from. */
export type CheckpointRead =
  | { readonly ok: true; readonly checkpoints: readonly Checkpoint[] }
  | { readonly ok: false; readonly line: number; readonly problem: string };

/** Reads and parses `checkpoints.jsonl`; a missing file is an empty list. */
export async function readCheckpoints(dir: string): Promise<CheckpointRead> {
  let text = '';
  try {
    text = await readFile(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new LedgerError('ledger-unreadable', `cannot read ${CHECKPOINT_FILE}`, { cause: error });
  }
  return parseCheckpoints(text);
}

/** Parses checkpoint lines; the first that does not parse is reported. */
export function parseCheckpoints(text: string): CheckpointRead {
  const checkpoints: Checkpoint[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return { ok: false, line: i + 1, problem: `${CHECKPOINT_FILE} line ${i + 1} is not valid JSON` };
    }
    const parsed = checkpointSchema.safeParse(json);
    if (!parsed.success) return { ok: false, line: i + 1, problem: `${CHECKPOINT_FILE} line ${i + 1} is not a checkpoint (${describeZodIssues(parsed.error)})` };
    checkpoints.push(parsed.data);
  }
  return { ok: true, checkpoints };
}
