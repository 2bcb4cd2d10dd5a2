import type { LedgerRecord } from '../audit/ledger-record.js';
import { IncidentLinker } from './incident-linker.js';
import { readLedgerRecords } from './ledger-records.js';
import { summarizeRecord } from './record-summary.js';

/** One line of an incident's story. */
export interface StoryEntry {
  readonly seq: number;
  readonly recordedAt: string;
  readonly type: LedgerRecord['type'];
  readonly summary: string;
  readonly data: unknown;
}

/** An incident's whole story from the ledger, in the order it was recorded. */
export interface IncidentStory {
  readonly incidentId: string;
  readonly entries: readonly StoryEntry[];
  /** Entries past {@link MAX_STORY_ENTRIES}, counted but not kept. */
  readonly omitted: number;
  /** Ledger lines that are not records (run `audit verify`). */
  readonly unreadable: number;
}

/** Entries kept for one story; a storm's incident can have hundreds of thousands of anomalies. */
export const MAX_STORY_ENTRIES = 5_000;

/**
 * Every record of one incident: the anomalies, the incident's opening and resolution, playbook
 * decisions, approvals (requested, voted, decided), actions and refusals. Undefined when the
 * ledger has no record of the incident.
 */
export async function incidentStory(ledgerFile: string, incidentId: string): Promise<IncidentStory | undefined> {
  const linker = new IncidentLinker();
  const entries: StoryEntry[] = [];
  let omitted = 0;
  const keep = (record: LedgerRecord): void => {
    if (entries.length >= MAX_STORY_ENTRIES) {
      omitted++;
      return;
    }
    entries.push({ seq: record.seq, recordedAt: record.recordedAt, type: record.type, summary: summarizeRecord(record), data: record.data });
  };
  const { unreadable } = await readLedgerRecords(ledgerFile, (record) => {
    const { incidentId: id, earlier } = linker.link(record);
    if (id !== incidentId) return;
    if (earlier !== undefined) keep(earlier);
    keep(record);
  });
  if (entries.length === 0) return undefined;
  return { incidentId, entries, omitted, unreadable };
}
