import { z } from 'zod';
import type { ConsoleResource } from './console-resource.js';
import { newestFirst } from './console-resource.js';
import { IncidentIndex, type IncidentView } from './incident-index.js';
import { ledgerFileIn, readLedgerRecords } from './ledger-records.js';

const incidentSchema = z.object({
  id: z.string(), entity: z.string(), state: z.enum(['open', 'resolved']), openedAt: z.string(), lastSeen: z.string().exactOptional(),
  detectors: z.array(z.string()), anomalies: z.number(), maxScore: z.number(), playbooks: z.array(z.string()),
  actions: z.number(), refusals: z.number(), approvals: z.array(z.string()), firstSeq: z.number(), lastSeq: z.number(),
});

async function indexOf(stateDir: string): Promise<{ index: IncidentIndex; notes: string[] }> {
  const index = new IncidentIndex();
  const { unreadable } = await readLedgerRecords(await ledgerFileIn(stateDir), (record) => { index.observe(record); });
  const notes: string[] = [];
  if (unreadable > 0) notes.push(`${unreadable} ledger line(s) are not records: run meshwarden audit verify`);
  if (index.dropped > 0) notes.push(`${index.dropped} older incident(s) are not listed (the console keeps the latest ${index.list().length})`);
  return { index, notes };
}

/** Incidents, folded from the audit ledger (the one record every replica and mode keeps). */
export const incidentsResource: ConsoleResource<IncidentView> = {
  name: 'incidents',
  singular: 'incident',
  description: 'incidents from the audit ledger: entity, detectors, anomalies, playbooks, actions',
  schema: incidentSchema,
  async list(stateDir, query) {
    const { index, notes } = await indexOf(stateDir);
    return { items: newestFirst(index.list(), (i) => Date.parse(i.openedAt), query), notes };
  },
  async show(stateDir, id) {
    return (await indexOf(stateDir)).index.get(id);
  },
  header: ['ID', 'STATE', 'OPENED', 'ENTITY', 'DETECTORS', 'ANOMALIES', 'SCORE', 'ACTIONS'],
  row: (i) => [i.id, i.state, i.openedAt, i.entity, i.detectors.join(','), String(i.anomalies), i.maxScore.toFixed(3), `${i.actions}${i.refusals > 0 ? ` (+${i.refusals} refused)` : ''}`],
  fields: (i) => [
    ['id', i.id], ['state', i.state], ['entity', i.entity], ['opened', i.openedAt], ['last seen', i.lastSeen],
    ['detectors', i.detectors.join(', ')], ['anomalies', String(i.anomalies)], ['highest score', i.maxScore.toFixed(3)],
    ['playbooks', i.playbooks.join(', ') || '-'], ['actions', String(i.actions)], ['refusals', String(i.refusals)],
    ['approvals', i.approvals.join(', ') || '-'], ['ledger', `records ${i.firstSeq}-${i.lastSeq} (meshwarden audit show ${i.id})`],
  ],
};
