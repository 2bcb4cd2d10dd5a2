import type { Anomaly, Evidence } from '../detect/anomaly.js';
import type { Entity } from '../features/entity.js';

/**
 * An incident as the outputs see it: a copy taken when it changed, never the tracker's live
 * object, so a sink that queues it sends what was true then.
 */
export interface IncidentView {
  readonly id: string;
  readonly entity: Entity;
  /** Start of the first anomalous window (epoch ms, event time). */
  readonly openedAt: number;
  /** End of the latest anomalous window. */
  readonly lastSeen: number;
  readonly detectors: readonly string[];
  readonly anomalies: number;
  readonly maxScore: number;
  /** The anomaly that opened the incident: what its alert is routed by. */
  readonly first: IncidentAnomaly;
  /** The latest anomaly seen (the same as `first` until a second one arrives). */
  readonly latest: IncidentAnomaly;
  /** Playbooks started for the incident so far. */
  readonly playbooks: readonly string[];
  /**
   * The case the incident was placed in when it opened (see triage/case-tracker.ts): its alert's
   * `case` label, fixed for as long as the incident is open so the alert keeps its identity.
   */
  readonly openedInCase?: string;
  /** The case holding it now (an older one, once its case merged into it) and that case's root entity. */
  readonly case?: CaseRef;
}

/** A case as outputs name it: its id and the key of its root entity. */
export interface CaseRef {
  readonly id: string;
  readonly root: string;
}

/** One anomaly of an incident, as outputs show it. */
export interface IncidentAnomaly {
  readonly id: string;
  readonly detector: string;
  readonly severity: Anomaly['severity'];
  readonly score: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly evidence: readonly Evidence[];
}

/**
 * Where incidents go besides the ledger and Slack (Alertmanager, a webhook). Called from the
 * stream, so every method returns at once: a sink queues, bounded, and delivers beside the stream;
 * a slow or dead receiver never holds detection back.
 */
export interface IncidentSink {
  opened(incident: IncidentView): void;
  /** Another anomaly joined the incident. */
  updated(incident: IncidentView): void;
  closed(incident: IncidentView): void;
}

/** The anomaly as an incident carries it. */
export function incidentAnomaly(anomaly: Anomaly): IncidentAnomaly {
  return {
    id: anomaly.id, detector: anomaly.detector, severity: anomaly.severity, score: anomaly.score,
    windowStart: anomaly.windowStart, windowEnd: anomaly.windowEnd, evidence: anomaly.evidence,
  };
}

/** One sink that hands each change to every sink given; a sink that throws does not stop the others. */
export function fanOutIncidents(sinks: readonly IncidentSink[], onError: (error: unknown) => void): IncidentSink {
  const each = (call: (sink: IncidentSink) => void): void => {
    for (const sink of sinks) {
      try {
        call(sink);
      } catch (error) {
        onError(error);
      }
    }
  };
  return {
    opened: (incident) => { each((s) => { s.opened(incident); }); },
    updated: (incident) => { each((s) => { s.updated(incident); }); },
    closed: (incident) => { each((s) => { s.closed(incident); }); },
  };
}
