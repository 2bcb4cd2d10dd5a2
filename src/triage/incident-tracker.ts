import { createHash } from 'node:crypto';
import type { Anomaly } from '../detect/anomaly.js';
import type { Entity } from '../features/entity.js';

/** Anomalies of one entity that belong together: one thread in Slack, one run per playbook. */
export interface Incident {
  readonly id: string;
  readonly entity: Entity;
  /** Start of the first anomalous window. */
  readonly openedAt: number;
  /** End of the latest anomalous window. */
  lastSeen: number;
  readonly detectors: Set<string>;
  anomalies: number;
  maxScore: number;
}

/** What observing one anomaly did to the incidents. */
export interface Observation {
  readonly incident: Incident;
  readonly opened: boolean;
}

/**
 * Groups anomalies by entity into incidents (Alertmanager's grouping, in event time): an incident
 * stays open while anomalies keep arriving and resolves after `resolveAfterMs` without one.
 */
export class IncidentTracker {
  private readonly open = new Map<string, Incident>();

  constructor(private readonly resolveAfterMs: number) {}

  observe(anomaly: Anomaly): Observation {
    const current = this.open.get(anomaly.entity.key);
    if (current && anomaly.windowStart - current.lastSeen <= this.resolveAfterMs) {
      current.lastSeen = Math.max(current.lastSeen, anomaly.windowEnd);
      current.detectors.add(anomaly.detector);
      current.anomalies++;
      current.maxScore = Math.max(current.maxScore, anomaly.score);
      return { incident: current, opened: false };
    }
    const incident: Incident = {
      id: createHash('sha256').update(`${anomaly.entity.key}\n${anomaly.windowStart}`).digest('hex').slice(0, 16),
      entity: anomaly.entity,
      openedAt: anomaly.windowStart,
      lastSeen: anomaly.windowEnd,
      detectors: new Set([anomaly.detector]),
      anomalies: 1,
      maxScore: anomaly.score,
    };
    this.open.set(anomaly.entity.key, incident);
    return { incident, opened: true };
  }

  /** Resolves the incidents quiet since before `watermark - resolveAfterMs`; returns them. */
  resolve(watermark: number): Incident[] {
    const resolved: Incident[] = [];
    for (const [key, incident] of this.open) {
      if (watermark - incident.lastSeen > this.resolveAfterMs) {
        resolved.push(incident);
        this.open.delete(key);
      }
    }
    return resolved;
  }

  /** Resolves every open incident (end of input). */
  resolveAll(): Incident[] {
    const all = [...this.open.values()];
    this.open.clear();
    return all;
  }
}
