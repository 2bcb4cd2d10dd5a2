import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LEDGER_FILE, type LedgerRecord } from '../audit/ledger-record.js';
import { MeshwardenError } from '../shared/errors.js';
import { readLines } from '../sources/line-source.js';

const recordSchema = z.object({
  seq: z.number().int().positive(),
  recordedAt: z.string(),
  type: z.enum(['run', 'anomaly', 'incident', 'case', 'decision', 'action', 'refusal']),
  data: z.unknown(),
  prev: z.string(),
  hash: z.string(),
});

/**
 * A ledger line longer than this is not read (the engine's own records are a few KiB): whoever
 * could write one that long could write anything, and `audit verify` is the judge of that.
 */
export const MAX_LEDGER_LINE = 1024 * 1024;

/** What reading a ledger for the console found besides its records. */
export interface LedgerReadStats {
  /** Lines that are not a ledger record (cut short, edited, too long): `audit verify` says why. */
  unreadable: number;
}

/** The console could not find or read a state directory. */
export class StateDirError extends MeshwardenError {}

/** `<state dir>/audit`, or the directory itself when it holds the ledger. */
export async function ledgerFileIn(stateDir: string): Promise<string> {
  if (!(await isDirectory(stateDir))) throw new StateDirError('state-dir-missing', `${stateDir} does not exist or is not a directory`);
  for (const file of [join(stateDir, 'audit', LEDGER_FILE), join(stateDir, LEDGER_FILE)]) {
    if (await isFile(file)) return file;
  }
  throw new StateDirError('ledger-missing', `no audit ledger in ${stateDir} (no audit/${LEDGER_FILE})`);
}

/**
 * Reads the ledger one line at a time, handing each record to `onRecord` in order: memory stays
 * one bounded line however long the ledger. The console reads; it does not judge: the chain is checked by
 * `audit verify`, and lines that are not records are counted, not fatal.
 */
export async function readLedgerRecords(file: string, onRecord: (record: LedgerRecord) => void | Promise<void>): Promise<LedgerReadStats> {
  const stats: LedgerReadStats = { unreadable: 0 };
  // One over-long line costs its first MAX_LEDGER_LINE characters, never its whole length.
  for await (const line of readLines(file, { maxLineLength: MAX_LEDGER_LINE })) {
    if (line.truncated) {
      stats.unreadable++;
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.text);
    } catch {
      stats.unreadable++;
      continue;
    }
    const record = recordSchema.safeParse(parsed);
    // A promise is waited for: a writer that must drain (stdout to a slow pipe) slows the reading.
    if (record.success) await onRecord(record.data);
    else stats.unreadable++;
  }
  return stats;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
