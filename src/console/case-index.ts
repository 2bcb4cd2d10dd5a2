import type { LedgerRecord } from '../audit/ledger-record.js';
import { dataOf, IncidentLinker, text, type RecordData } from './incident-linker.js';

/** A case as the console lists it, folded from the ledger. */
export interface CaseView {
  readonly id: string;
  /** `merged`: it joined an older case (`mergedInto`), which now tells its story. */
  readonly state: 'open' | 'resolved' | 'merged';
  /** The root entity's key: where the case starts (see triage/case-tracker.ts). */
  readonly root: string;
  readonly openedAt: string;
  readonly lastSeen?: string;
  /** Its incidents' ids, in the order the ledger named them. */
  readonly incidents: readonly string[];
  readonly entities: readonly string[];
  readonly detectors: readonly string[];
  readonly anomalies: number;
  readonly maxScore: number;
  readonly actions: number;
  readonly refusals: number;
  readonly mergedInto?: string;
  /** Cases merged into this one. */
  readonly mergedFrom: readonly string[];
  readonly firstSeq: number;
  readonly lastSeq: number;
}

interface Building {
  id: string;
  state: 'open' | 'resolved' | 'merged';
  root: string;
  openedAt: string;
  lastSeen?: string;
  incidents: Set<string>;
  entities: Set<string>;
  detectors: Set<string>;
  anomalies: number;
  maxScore: number;
  actions: number;
  refusals: number;
  mergedInto?: string;
  mergedFrom: Set<string>;
  firstSeq: number;
  lastSeq: number;
}

/** Cases kept while folding: the most recently opened; older ones are dropped from the view. */
export const MAX_CASES = 10_000;
/** Incidents, entities and detectors listed per case; a storm's case can hold thousands of incidents. */
export const MAX_CASE_MEMBERS = 5_000;
/** Incidents whose case is remembered while folding (to count their actions against it). */
const MAX_INCIDENT_CASES = 100_000;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function addBounded(set: Set<string>, values: Iterable<string>): void {
  for (const value of values) if (set.size < MAX_CASE_MEMBERS) set.add(value);
}

/**
 * Folds ledger records, in order, into one view per case. The pipeline records a case when it
 * opens, when it absorbs other cases and when it resolves (each with its whole summary), and names
 * the case on every incident it opens; actions and refusals count against the case of their
 * incident. Bounded by {@link MAX_CASES} and {@link MAX_CASE_MEMBERS}.
 */
export class CaseIndex {
  private readonly cases = new Map<string, Building>();
  private readonly caseOfIncident = new Map<string, string>();
  private readonly linker = new IncidentLinker();
  /** Cases dropped from the view to stay within the bound. */
  dropped = 0;

  observe(record: LedgerRecord): void {
    const data = dataOf(record);
    const { incidentId } = this.linker.link(record);
    if (record.type === 'case') {
      this.observeCase(record, data);
      return;
    }
    if (record.type === 'incident' && incidentId !== undefined) {
      const caseId = text(data, 'caseId');
      if (caseId !== undefined) this.place(incidentId, caseId, text(data, 'caseRoot'), data, record);
    }
    const kase = incidentId === undefined ? undefined : this.current(this.caseOfIncident.get(incidentId));
    if (kase === undefined) return;
    kase.lastSeq = record.seq;
    if (record.type === 'action') kase.actions++;
    if (record.type === 'refusal') kase.refusals++;
  }

  /** The cases, most recently opened first. */
  list(): CaseView[] {
    return [...this.cases.values()].reverse().map(view);
  }

  get(id: string): CaseView | undefined {
    const kase = this.cases.get(id);
    return kase === undefined ? undefined : view(kase);
  }

  /** The case an incident was placed in, followed through merges. */
  caseOf(incidentId: string): string | undefined {
    return this.current(this.caseOfIncident.get(incidentId))?.id;
  }

  /** A case, or the case it was merged into (followed a bounded number of times). */
  private current(id: string | undefined): Building | undefined {
    let kase = id === undefined ? undefined : this.cases.get(id);
    for (let hops = 0; kase?.mergedInto !== undefined && hops < 16; hops++) kase = this.cases.get(kase.mergedInto) ?? kase;
    return kase;
  }

  private place(incidentId: string, caseId: string, root: string | undefined, data: RecordData, record: LedgerRecord): void {
    if (!this.caseOfIncident.has(incidentId)) {
      this.caseOfIncident.set(incidentId, caseId);
      if (this.caseOfIncident.size > MAX_INCIDENT_CASES) this.caseOfIncident.delete(this.caseOfIncident.keys().next().value ?? '');
    }
    const openedAt = typeof data.openedAt === 'number' && Number.isFinite(data.openedAt) ? new Date(data.openedAt).toISOString() : record.recordedAt;
    const kase = this.cases.get(caseId) ?? this.open(caseId, root ?? '-', openedAt, record.seq);
    if (root !== undefined) kase.root = root;
    addBounded(kase.incidents, [incidentId]);
    const entity = text(data, 'entity');
    if (entity !== undefined) addBounded(kase.entities, [entity]);
  }

  private observeCase(record: LedgerRecord, data: RecordData): void {
    const id = text(data, 'id');
    if (id === undefined) return;
    const kase = this.cases.get(id) ?? this.open(id, text(data, 'root') ?? '-', text(data, 'openedAt') ?? record.recordedAt, record.seq);
    kase.lastSeq = record.seq;
    // Each case record carries the whole summary: it wins over what was folded before it.
    kase.root = text(data, 'root') ?? kase.root;
    kase.openedAt = text(data, 'openedAt') ?? kase.openedAt;
    const lastSeen = text(data, 'lastSeen');
    if (lastSeen !== undefined) kase.lastSeen = lastSeen;
    addBounded(kase.incidents, strings(data.incidents));
    addBounded(kase.entities, strings(data.entities));
    addBounded(kase.detectors, strings(data.detectors));
    if (typeof data.anomalies === 'number' && Number.isSafeInteger(data.anomalies)) kase.anomalies = data.anomalies;
    if (typeof data.maxScore === 'number' && Number.isFinite(data.maxScore)) kase.maxScore = data.maxScore;
    for (const incident of strings(data.incidents).slice(0, MAX_CASE_MEMBERS)) {
      if (!this.caseOfIncident.has(incident)) this.caseOfIncident.set(incident, id);
    }
    const event = text(data, 'event');
    if (event === 'resolved') kase.state = 'resolved';
    if (event === 'merged') {
      for (const from of strings(data.mergedFrom)) {
        if (from === id) continue;
        addBounded(kase.mergedFrom, [from]);
        const absorbed = this.cases.get(from);
        if (absorbed !== undefined) {
          absorbed.state = 'merged';
          absorbed.mergedInto = id;
        }
      }
    }
  }

  private open(id: string, root: string, openedAt: string, seq: number): Building {
    const kase: Building = {
      id, state: 'open', root, openedAt, incidents: new Set(), entities: new Set(), detectors: new Set(), anomalies: 0, maxScore: 0,
      actions: 0, refusals: 0, mergedFrom: new Set(), firstSeq: seq, lastSeq: seq,
    };
    this.cases.set(id, kase);
    if (this.cases.size > MAX_CASES) {
      const oldest = this.cases.keys().next().value;
      if (oldest !== undefined) this.cases.delete(oldest);
      this.dropped++;
    }
    return kase;
  }
}

function view(kase: Building): CaseView {
  return {
    id: kase.id, state: kase.state, root: kase.root, openedAt: kase.openedAt, ...(kase.lastSeen !== undefined ? { lastSeen: kase.lastSeen } : {}),
    incidents: [...kase.incidents], entities: [...kase.entities], detectors: [...kase.detectors].sort(), anomalies: kase.anomalies, maxScore: kase.maxScore,
    actions: kase.actions, refusals: kase.refusals, ...(kase.mergedInto !== undefined ? { mergedInto: kase.mergedInto } : {}),
    mergedFrom: [...kase.mergedFrom], firstSeq: kase.firstSeq, lastSeq: kase.lastSeq,
  };
}
