import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GENESIS, HEAD_FILE, LEDGER_FILE, hashRecord, type LedgerRecord } from './ledger.js';

/** The outcome of checking a ledger. */
export type VerifyResult =
  | { readonly ok: true; readonly records: number }
  | { readonly ok: false; readonly records: number; readonly line: number; readonly seq?: number; readonly problem: string };

/**
 * Walks the chain from the genesis: each record must parse, number itself one more than the last,
 * point at the previous hash, and hash to what it claims. The head anchor must match the last
 * record, so a truncated tail is caught too. Reports the first bad record.
 */
export async function verifyLedger(dir: string): Promise<VerifyResult> {
  let text: string;
  try {
    text = await readFile(join(dir, LEDGER_FILE), 'utf8');
  } catch {
    return { ok: false, records: 0, line: 0, problem: `no ledger at ${join(dir, LEDGER_FILE)}` };
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
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
    prev = hash;
    seq = record.seq;
  }
  try {
    const head = JSON.parse(await readFile(join(dir, HEAD_FILE), 'utf8')) as { seq: number; hash: string };
    if (head.seq !== seq || head.hash !== prev) {
      return { ok: false, records: lines.length, line: lines.length, seq, problem: `the ledger ends at record ${seq} but its head says ${head.seq}: records were removed from the end` };
    }
  } catch {
    if (lines.length > 0) return { ok: false, records: lines.length, line: lines.length, problem: `the head anchor ${HEAD_FILE} is missing or unreadable` };
  }
  return { ok: true, records: lines.length };
}
