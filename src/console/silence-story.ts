import { dataOf, text } from './incident-linker.js';
import { StoryEntries, type StoryEntry } from './incident-story.js';
import { readLedgerRecords } from './ledger-records.js';

/** A silence's story from the ledger: who added it, who ended it, and every step it held back. */
export interface SilenceStory {
  readonly silenceId: string;
  readonly entries: readonly StoryEntry[];
  readonly omitted: number;
  readonly unreadable: number;
}

/**
 * Every record of one silence, in order: its `silence-created` and `silence-expired` decisions
 * and the steps recorded as `silenced` by it. Undefined when the ledger has none.
 */
export async function silenceStory(ledgerFile: string, silenceId: string): Promise<SilenceStory | undefined> {
  const story = new StoryEntries();
  const { unreadable } = await readLedgerRecords(ledgerFile, (record) => {
    if (record.type !== 'decision') return;
    const data = dataOf(record);
    const event = text(data, 'event');
    const about = event === 'silence-created' || event === 'silence-expired' ? text(data, 'id') : undefined;
    const details = typeof data.details === 'object' && data.details !== null ? (data.details as Record<string, unknown>) : {};
    if (about === silenceId || (text(data, 'outcome') === 'silenced' && details.silence === silenceId)) story.keep(record);
  });
  if (story.entries.length === 0) return undefined;
  return { silenceId, entries: story.entries, omitted: story.omitted, unreadable };
}
