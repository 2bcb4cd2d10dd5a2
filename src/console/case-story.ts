import { CaseIndex, type CaseView } from './case-index.js';
import { dataOf, IncidentLinker, text } from './incident-linker.js';
import { StoryEntries, type StoryEntry } from './incident-story.js';
import { readLedgerRecords } from './ledger-records.js';

/** A case's whole story from the ledger, in the order it was recorded. */
export interface CaseStory {
  readonly caseId: string;
  /** The case as folded from the ledger: root, incidents, state. */
  readonly case: CaseView;
  readonly entries: readonly StoryEntry[];
  readonly omitted: number;
  readonly unreadable: number;
}

/**
 * Every record of one case: its case records (opened, merged, resolved), and everything of every
 * incident it holds (anomalies, openings, playbook decisions, approvals, actions, refusals), the
 * incidents of cases merged into it included. Two reads of the ledger, one line at a time: the
 * first learns which incidents are the case's, the second collects. Undefined when the ledger
 * has no record of the case.
 */
export async function caseStory(ledgerFile: string, caseId: string): Promise<CaseStory | undefined> {
  const index = new CaseIndex();
  await readLedgerRecords(ledgerFile, (record) => { index.observe(record); });
  const kase = index.get(caseId);
  if (kase === undefined) return undefined;
  const incidents = new Set(kase.incidents);
  const cases = new Set([caseId, ...kase.mergedFrom]);
  const linker = new IncidentLinker();
  const story = new StoryEntries();
  const { unreadable } = await readLedgerRecords(ledgerFile, (record) => {
    const { incidentId, earlier } = linker.link(record);
    if (record.type === 'case') {
      const id = text(dataOf(record), 'id');
      if (id !== undefined && cases.has(id)) story.keep(record);
      return;
    }
    if (incidentId === undefined || !incidents.has(incidentId)) return;
    if (earlier !== undefined) story.keep(earlier);
    story.keep(record);
  });
  return { caseId, case: kase, entries: story.entries, omitted: story.omitted, unreadable };
}
