import { createHash } from 'node:crypto';
import type { Entity } from '../features/entity.js';
import type { Incident } from './incident-tracker.js';

/**
 * What the engine has learned about how entities talk, as the case tracker asks it (the feature
 * extractor answers; see `FeatureExtractor.callGraph`). Every answer is bounded memory there.
 */
export interface CallGraph {
  /** Whether workload `caller` was seen calling workload `callee` (learned caller -> callee edges). */
  calls(caller: Entity, callee: Entity): boolean;
  /** Whether the workload served requests of the principal (a source's traffic reached it). */
  served(workload: Entity, principal: Entity): boolean;
  /** Whether the workload serves the model (its telemetry names the workload's pods). */
  serves(workload: Entity, model: Entity): boolean;
}

/**
 * Incidents that belong together: one Slack thread, one report entry, one root.
 *
 * The root entity is where the case starts: a principal whose traffic the case's workloads served
 * (the source drives the cascade: credential stuffing through the gateway), else the callee at the
 * bottom of the cascade (an entity of the case that calls no other entity of the case; a model is
 * below the workload serving it), earliest first, then by key.
 */
export interface Case {
  readonly id: string;
  /** Start of its first incident. */
  readonly openedAt: number;
  /** End of the latest anomalous window of any of its incidents. */
  lastSeen: number;
  root: Entity;
  /** Its incidents by id, in the order they joined. */
  readonly incidents: Map<string, Incident>;
  /** Incidents not yet resolved; the case resolves with its last one. */
  readonly open: Set<string>;
}

/** What happened to the cases when an incident was observed or resolved. */
export type CaseEvent =
  | { readonly event: 'opened'; readonly case: Case; readonly incident: Incident }
  | { readonly event: 'joined'; readonly case: Case; readonly incident: Incident }
  | { readonly event: 'merged'; readonly case: Case; readonly from: readonly string[] }
  | { readonly event: 'resolved'; readonly case: Case };

/** Open cases kept at most; the oldest is resolved first beyond it (an incident flood cannot grow memory). */
export const MAX_OPEN_CASES = 10_000;

/**
 * Groups incidents into cases. A new incident joins an open case when its span meets the case's
 * (it opened no later than `joinWithinMs` after the case was last seen) and its entity is related
 * to one of the case's entities: the same pod or its workload, a caller or callee along the edges
 * the feature extractor learned, a principal and the workloads that served it, a model and the
 * workload serving it. An incident related to several open cases merges them into the oldest.
 * Two incidents are never grouped on time alone.
 */
export class CaseTracker {
  private readonly cases = new Map<string, Case>();
  /** Incident id -> the case holding it. */
  private readonly byIncident = new Map<string, Case>();

  constructor(private readonly graph: CallGraph, private readonly joinWithinMs: number) {}

  /** The case holding an incident, if any. */
  caseOf(incidentId: string): Case | undefined {
    return this.byIncident.get(incidentId);
  }

  /** Places an incident (new or updated) in a case; returns what changed. */
  observe(incident: Incident): CaseEvent[] {
    const existing = this.byIncident.get(incident.id);
    if (existing !== undefined) {
      existing.lastSeen = Math.max(existing.lastSeen, incident.lastSeen);
      return [];
    }
    const related = [...this.cases.values()]
      .filter((c) => incident.openedAt <= c.lastSeen + this.joinWithinMs && [...c.incidents.values()].some((i) => this.related(i.entity, incident.entity)))
      .sort((a, b) => a.openedAt - b.openedAt || (a.id < b.id ? -1 : 1));
    const events: CaseEvent[] = [];
    const [target, ...others] = related;
    if (target === undefined) {
      const opened: Case = {
        id: createHash('sha256').update(`case\n${incident.id}`).digest('hex').slice(0, 16),
        openedAt: incident.openedAt, lastSeen: incident.lastSeen, root: incident.entity,
        incidents: new Map([[incident.id, incident]]), open: new Set([incident.id]),
      };
      this.cases.set(opened.id, opened);
      this.byIncident.set(incident.id, opened);
      events.push({ event: 'opened', case: opened, incident });
      if (this.cases.size > MAX_OPEN_CASES) {
        const oldest = this.cases.values().next().value;
        if (oldest !== undefined) events.push(this.close(oldest));
      }
      return events;
    }
    for (const other of others) {
      for (const [id, i] of other.incidents) {
        target.incidents.set(id, i);
        this.byIncident.set(id, target);
      }
      for (const id of other.open) target.open.add(id);
      target.lastSeen = Math.max(target.lastSeen, other.lastSeen);
      this.cases.delete(other.id);
    }
    target.incidents.set(incident.id, incident);
    target.open.add(incident.id);
    target.lastSeen = Math.max(target.lastSeen, incident.lastSeen);
    this.byIncident.set(incident.id, target);
    target.root = this.rootOf(target);
    if (others.length > 0) events.push({ event: 'merged', case: target, from: others.map((o) => o.id) });
    events.push({ event: 'joined', case: target, incident });
    return events;
  }

  /** An incident resolved; its case resolves with its last open incident. */
  resolveIncident(incident: Incident): CaseEvent[] {
    const c = this.byIncident.get(incident.id);
    if (c === undefined) return [];
    c.open.delete(incident.id);
    if (c.open.size > 0) return [];
    return [this.close(c)];
  }

  private close(c: Case): CaseEvent {
    this.cases.delete(c.id);
    for (const id of c.incidents.keys()) this.byIncident.delete(id);
    return { event: 'resolved', case: c };
  }

  /** See {@link Case}: a source principal, else the bottom callee, earliest first. */
  private rootOf(c: Case): Entity {
    const incidents = [...c.incidents.values()].sort((a, b) => a.openedAt - b.openedAt || (a.entity.key < b.entity.key ? -1 : 1));
    // A route or an external host is a part of its workload: the workload, when in the case, is the root.
    const part = (e: Entity): boolean => e.kind === 'route' || e.kind === 'authority';
    const entities = [...incidents.map((i) => i.entity).filter((e) => !part(e)), ...incidents.map((i) => i.entity).filter(part)];
    const source = entities.find((e) => e.kind === 'principal' && entities.some((w) => w !== e && this.graph.served(w, e)));
    if (source !== undefined) return source;
    const bottom = entities.find((e) => e.kind !== 'principal' && !entities.some((other) => other.key !== e.key && this.below(other, e)));
    return bottom ?? entities[0] ?? c.root;
  }

  /** Whether `lower` is below `upper` in the cascade: `upper` calls it or serves it. */
  private below(lower: Entity, upper: Entity): boolean {
    if (lower.kind === 'model') return upper.kind !== 'model' && this.graph.serves(upper, lower);
    if (lower.kind === 'principal' || upper.kind === 'principal' || upper.kind === 'model') return false;
    return sameWorkload(upper, lower) ? false : this.graph.calls(upper, lower);
  }

  private related(a: Entity, b: Entity): boolean {
    if (a.key === b.key) return true;
    if (a.kind === 'principal' || b.kind === 'principal') {
      const [principal, other] = a.kind === 'principal' ? [a, b] : [b, a];
      if (other.kind === 'principal') return false;
      // A mesh principal is a workload acting as a caller: the same source.
      if (principal.identity === 'mesh' && principal.namespace !== undefined && principal.workload !== undefined && sameWorkload(principal, other)) return true;
      return other.kind !== 'model' && this.graph.served(other, principal);
    }
    if (a.kind === 'model' || b.kind === 'model') {
      const [model, other] = a.kind === 'model' ? [a, b] : [b, a];
      return other.kind !== 'model' && this.graph.serves(other, model);
    }
    return sameWorkload(a, b) || this.graph.calls(a, b) || this.graph.calls(b, a);
  }
}

/** Both name the same workload (a pod and its workload, two pods of one workload). */
function sameWorkload(a: Entity, b: Entity): boolean {
  const wa = workloadOf(a);
  const wb = workloadOf(b);
  return wa !== undefined && wa === wb;
}

/** `ns/workload` of a workload, a pod, a mesh principal, a route it serves or an external host it calls. */
export function workloadOf(e: Entity): string | undefined {
  if (e.namespace === undefined) return undefined;
  if (e.kind === 'workload') return `${e.namespace}/${e.name}`;
  if (e.kind === 'pod' || e.kind === 'route' || e.kind === 'authority' || (e.kind === 'principal' && e.identity === 'mesh')) return e.workload === undefined ? undefined : `${e.namespace}/${e.workload}`;
  return undefined;
}

/**
 * A case as reported (the embedded report's `cases`, the ledger's `case` records): times as ISO
 * strings, entities by key. Consumers list cases from these.
 */
export interface CaseSummary {
  readonly id: string;
  /** The root entity's key (see {@link Case}). */
  readonly root: string;
  readonly openedAt: string;
  readonly lastSeen: string;
  /** Its incidents' ids, oldest first. */
  readonly incidents: string[];
  /** Its incidents' entity keys, oldest first. */
  readonly entities: string[];
  readonly detectors: string[];
  readonly anomalies: number;
  readonly maxScore: number;
}

/** The report form of a case. */
export function summarizeCase(c: Case): CaseSummary {
  const incidents = [...c.incidents.values()].sort((a, b) => a.openedAt - b.openedAt || (a.id < b.id ? -1 : 1));
  return {
    id: c.id,
    root: c.root.key,
    openedAt: new Date(c.openedAt).toISOString(),
    lastSeen: new Date(Math.max(c.lastSeen, ...incidents.map((i) => i.lastSeen))).toISOString(),
    incidents: incidents.map((i) => i.id),
    entities: [...new Set(incidents.map((i) => i.entity.key))],
    detectors: [...new Set(incidents.flatMap((i) => [...i.detectors]))].sort(),
    anomalies: incidents.reduce((n, i) => n + i.anomalies, 0),
    maxScore: Math.max(...incidents.map((i) => i.maxScore)),
  };
}
