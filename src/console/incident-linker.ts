import type { LedgerRecord } from '../audit/ledger-record.js';

/** The fields of ledger data the console reads; everything else is passed on as recorded. */
export type RecordData = Readonly<Record<string, unknown>>;

/** A ledger record's data as an object (empty when it is not one). */
export function dataOf(record: LedgerRecord): RecordData {
  return typeof record.data === 'object' && record.data !== null && !Array.isArray(record.data) ? (record.data as RecordData) : {};
}

/** A string field of a record's data, when it is one. */
export function text(data: RecordData, key: string): string | undefined {
  const value = data[key];
  return typeof value === 'string' ? value : undefined;
}

/** The entity key an anomaly or incident record names (as a key, or inside an entity object). */
function entityKey(data: RecordData): string | undefined {
  const entity = data.entity;
  if (typeof entity === 'string') return entity;
  if (typeof entity === 'object' && entity !== null && typeof (entity as { key?: unknown }).key === 'string') return (entity as { key: string }).key;
  return undefined;
}

/** How many entities may have an anomaly waiting for its incident record at once. */
const MAX_PENDING = 10_000;

/**
 * Says which incident each ledger record belongs to, reading the ledger in order. Decisions,
 * actions, refusals and approvals carry their `incidentId`; incident records their `id`. Anomalies
 * carry only their entity: the pipeline records an anomaly, then (when it opened one) its incident,
 * so an anomaly belongs to the incident open on its entity, or to the one opened right after it.
 */
export class IncidentLinker {
  private readonly openByEntity = new Map<string, string>();
  private pending: { readonly entity: string; readonly record: LedgerRecord } | undefined;

  /**
   * The incident of `record`, and for an incident's opening record also the anomaly recorded
   * just before it (which belongs to it too).
   */
  link(record: LedgerRecord): { readonly incidentId: string | undefined; readonly earlier?: LedgerRecord } {
    const data = dataOf(record);
    if (record.type === 'anomaly') {
      const entity = entityKey(data);
      const open = entity === undefined ? undefined : this.openByEntity.get(entity);
      this.pending = open === undefined && entity !== undefined ? { entity, record } : undefined;
      return { incidentId: open };
    }
    if (record.type === 'incident') {
      const id = text(data, 'id');
      const entity = entityKey(data);
      const event = text(data, 'event');
      const pending = this.pending;
      this.pending = undefined;
      if (id === undefined || entity === undefined) return { incidentId: id };
      if (event === 'opened') {
        // Delete first: a re-opened entity moves to the end, and the oldest is the one dropped.
        this.openByEntity.delete(entity);
        this.openByEntity.set(entity, id);
        if (this.openByEntity.size > MAX_PENDING) this.openByEntity.delete(this.openByEntity.keys().next().value ?? '');
        return pending?.entity === entity ? { incidentId: id, earlier: pending.record } : { incidentId: id };
      }
      if (event === 'resolved' && this.openByEntity.get(entity) === id) this.openByEntity.delete(entity);
      return { incidentId: id };
    }
    this.pending = undefined;
    return { incidentId: text(data, 'incidentId') };
  }
}
