import type { LedgerRecord } from '../audit/ledger-record.js';
import { dataOf, IncidentLinker, text } from './incident-linker.js';

/** An incident as the console lists it, folded from the ledger. */
export interface IncidentView {
  readonly id: string;
  readonly entity: string;
  readonly state: 'open' | 'resolved';
  /** When the incident's first anomalous window started (ISO). */
  readonly openedAt: string;
  /** End of its latest anomalous window, once resolved (ISO). */
  readonly lastSeen?: string;
  readonly detectors: readonly string[];
  readonly anomalies: number;
  readonly maxScore: number;
  readonly playbooks: readonly string[];
  readonly actions: number;
  readonly refusals: number;
  readonly approvals: readonly string[];
  /** Ledger sequence numbers of its first and last record. */
  readonly firstSeq: number;
  readonly lastSeq: number;
}

interface Building {
  id: string;
  entity: string;
  state: 'open' | 'resolved';
  openedAt: string;
  lastSeen?: string;
  detectors: Set<string>;
  anomalies: number;
  maxScore: number;
  playbooks: Set<string>;
  actions: number;
  refusals: number;
  approvals: Set<string>;
  firstSeq: number;
  lastSeq: number;
}

/** Incidents kept while folding: the most recently opened; older ones are dropped from the view. */
export const MAX_INCIDENTS = 10_000;

/** Folds ledger records, in order, into one view per incident, bounded by {@link MAX_INCIDENTS}. */
export class IncidentIndex {
  private readonly incidents = new Map<string, Building>();
  private readonly linker = new IncidentLinker();
  /** The open incident of each entity, to close it when the entity opens another. */
  private readonly openByEntity = new Map<string, string>();
  /** Incidents dropped from the view to stay within the bound. */
  dropped = 0;

  observe(record: LedgerRecord): void {
    const { incidentId, earlier } = this.linker.link(record);
    if (incidentId === undefined) return;
    const data = dataOf(record);
    if (record.type === 'incident' && text(data, 'event') === 'opened') this.open(incidentId, record);
    const incident = this.incidents.get(incidentId);
    if (incident === undefined) return;
    incident.lastSeq = record.seq;
    if (earlier !== undefined) this.countAnomaly(incident, dataOf(earlier));
    switch (record.type) {
      case 'anomaly': this.countAnomaly(incident, data); break;
      case 'incident':
        if (text(data, 'event') === 'resolved') {
          this.resolve(incident, data);
          if (this.openByEntity.get(incident.entity) === incident.id) this.openByEntity.delete(incident.entity);
        }
        break;
      case 'action': incident.actions++; break;
      case 'refusal': incident.refusals++; break;
      case 'decision': {
        const playbook = text(data, 'playbook');
        if (playbook !== undefined && data.run === true) incident.playbooks.add(playbook);
        const approval = text(data, 'approvalId');
        if (approval !== undefined) incident.approvals.add(approval);
        break;
      }
      case 'run': break;
      case 'case': break;
    }
  }

  /** The incidents, most recently opened first. */
  list(): IncidentView[] {
    return [...this.incidents.values()].reverse().map(view);
  }

  get(id: string): IncidentView | undefined {
    const incident = this.incidents.get(id);
    return incident === undefined ? undefined : view(incident);
  }

  private open(id: string, record: LedgerRecord): void {
    const data = dataOf(record);
    const entity = typeof data.entity === 'string' ? data.entity : text((data.entity ?? {}) as Record<string, unknown>, 'key') ?? '-';
    // A new incident on the same entity ends the one before it (it went quiet for longer than the
    // grouping allows), even when no resolution was recorded for it.
    const previous = this.openByEntity.get(entity);
    const before = previous === undefined ? undefined : this.incidents.get(previous);
    if (before !== undefined && before.id !== id) before.state = 'resolved';
    this.openByEntity.set(entity, id);
    const openedAt = typeof data.openedAt === 'number' && Number.isFinite(data.openedAt) ? new Date(data.openedAt).toISOString() : record.recordedAt;
    this.incidents.delete(id);
    this.incidents.set(id, {
      id, entity, state: 'open', openedAt, detectors: new Set(), anomalies: 0, maxScore: 0, playbooks: new Set(), actions: 0, refusals: 0,
      approvals: new Set(), firstSeq: record.seq, lastSeq: record.seq,
    });
    if (this.incidents.size > MAX_INCIDENTS) {
      const oldest = this.incidents.values().next().value;
      if (oldest !== undefined) {
        this.incidents.delete(oldest.id);
        if (this.openByEntity.get(oldest.entity) === oldest.id) this.openByEntity.delete(oldest.entity);
      }
      this.dropped++;
    }
  }

  private countAnomaly(incident: Building, data: Readonly<Record<string, unknown>>): void {
    incident.anomalies++;
    const detector = text(data, 'detector');
    if (detector !== undefined && incident.detectors.size < 64) incident.detectors.add(detector);
    if (typeof data.score === 'number' && Number.isFinite(data.score)) incident.maxScore = Math.max(incident.maxScore, data.score);
  }

  /** The resolved record is the pipeline's own summary: its counts win over what was folded. */
  private resolve(incident: Building, data: Readonly<Record<string, unknown>>): void {
    incident.state = 'resolved';
    const lastSeen = text(data, 'lastSeen');
    if (lastSeen !== undefined) incident.lastSeen = lastSeen;
    if (typeof data.anomalies === 'number' && Number.isSafeInteger(data.anomalies)) incident.anomalies = data.anomalies;
    if (typeof data.maxScore === 'number' && Number.isFinite(data.maxScore)) incident.maxScore = data.maxScore;
    if (Array.isArray(data.detectors)) for (const d of data.detectors.slice(0, 64)) if (typeof d === 'string') incident.detectors.add(d);
  }
}

function view(incident: Building): IncidentView {
  return {
    id: incident.id, entity: incident.entity, state: incident.state, openedAt: incident.openedAt,
    ...(incident.lastSeen !== undefined ? { lastSeen: incident.lastSeen } : {}),
    detectors: [...incident.detectors].sort(), anomalies: incident.anomalies, maxScore: incident.maxScore,
    playbooks: [...incident.playbooks].sort(), actions: incident.actions, refusals: incident.refusals,
    approvals: [...incident.approvals], firstSeq: incident.firstSeq, lastSeq: incident.lastSeq,
  };
}
