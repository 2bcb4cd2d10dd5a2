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
  const story = new StoryEntries();
  const { unreadable } = await readLedgerRecords(ledgerFile, (record) => {
    const { incidentId: id, earlier } = linker.link(record);
    if (id !== incidentId) return;
    if (earlier !== undefined) story.keep(earlier);
    story.keep(record);
  });
  if (story.entries.length === 0) return undefined;
  return { incidentId, entries: story.entries, omitted: story.omitted, unreadable };
}

/** The entries of one story as they are read, at most {@link MAX_STORY_ENTRIES}; the rest counted. */
export class StoryEntries {
  readonly entries: StoryEntry[] = [];
  omitted = 0;

  keep(record: LedgerRecord): void {
    if (this.entries.length >= MAX_STORY_ENTRIES) {
      this.omitted++;
      return;
    }
    this.entries.push({ seq: record.seq, recordedAt: record.recordedAt, type: record.type, summary: summarizeRecord(record), data: record.data });
  }
}
