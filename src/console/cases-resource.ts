import { z } from 'zod';
import { CaseIndex, type CaseView } from './case-index.js';
import type { ConsoleResource } from './console-resource.js';
import { newestFirst } from './console-resource.js';
import { ledgerFileIn, readLedgerRecords } from './ledger-records.js';

const caseSchema = z.object({
  id: z.string(), state: z.enum(['open', 'resolved', 'merged']), root: z.string(), openedAt: z.string(), lastSeen: z.string().exactOptional(),
  incidents: z.array(z.string()), entities: z.array(z.string()), detectors: z.array(z.string()), anomalies: z.number(), maxScore: z.number(),
  actions: z.number(), refusals: z.number(), mergedInto: z.string().exactOptional(), mergedFrom: z.array(z.string()), firstSeq: z.number(), lastSeq: z.number(),
});

async function indexOf(stateDir: string): Promise<{ index: CaseIndex; notes: string[] }> {
  const index = new CaseIndex();
  const { unreadable } = await readLedgerRecords(await ledgerFileIn(stateDir), (record) => { index.observe(record); });
  const notes: string[] = [];
  if (unreadable > 0) notes.push(`${unreadable} ledger line(s) are not records: run meshwarden audit verify`);
  if (index.dropped > 0) notes.push(`${index.dropped} older case(s) are not listed (the console keeps the latest ${index.list().length})`);
  return { index, notes };
}

/** Shown in a table cell: the first few, and how many more. */
function some(items: readonly string[], max = 3): string {
  return items.length <= max ? items.join(',') : `${items.slice(0, max).join(',')} (+${items.length - max})`;
}

/** Cases (incidents that belong together), folded from the audit ledger. */
export const casesResource: ConsoleResource<CaseView> = {
  name: 'cases',
  singular: 'case',
  description: 'cases from the audit ledger: related incidents with their root entity, detectors and actions',
  schema: caseSchema,
  async list(stateDir, query) {
    const { index, notes } = await indexOf(stateDir);
    return { items: newestFirst(index.list(), (c) => Date.parse(c.openedAt), query), notes };
  },
  async show(stateDir, id) {
    return (await indexOf(stateDir)).index.get(id);
  },
  header: ['ID', 'STATE', 'OPENED', 'ROOT', 'INCIDENTS', 'DETECTORS', 'ANOMALIES', 'SCORE', 'ACTIONS'],
  row: (c) => [
    c.id, c.state === 'merged' ? `merged into ${c.mergedInto ?? '-'}` : c.state, c.openedAt, c.root, String(c.incidents.length), some(c.detectors),
    String(c.anomalies), c.maxScore.toFixed(3), `${c.actions}${c.refusals > 0 ? ` (+${c.refusals} refused)` : ''}`,
  ],
  fields: (c) => [
    ['id', c.id], ['state', c.state], ['merged into', c.mergedInto], ['root', c.root], ['opened', c.openedAt], ['last seen', c.lastSeen],
    ['incidents', c.incidents.join(', ') || '-'], ['entities', c.entities.join(', ') || '-'], ['detectors', c.detectors.join(', ') || '-'],
    ['anomalies', String(c.anomalies)], ['highest score', c.maxScore.toFixed(3)], ['actions', String(c.actions)], ['refusals', String(c.refusals)],
    ['merged from', c.mergedFrom.length > 0 ? c.mergedFrom.join(', ') : undefined],
    ['ledger', `records ${c.firstSeq}-${c.lastSeq} (meshwarden audit show ${c.id})`],
  ],
};
