import type { IncidentView } from './incident-sink.js';

/** What happened to the incident. */
export type WebhookEvent = 'incident.opened' | 'incident.updated' | 'incident.closed';

/**
 * The JSON body of one webhook delivery (version 1). Times are ISO strings; entity names are
 * as the engine derived them from traffic (see docs/security.md: a receiver must treat them as
 * untrusted text).
 */
export interface WebhookPayload {
  readonly version: 1;
  /** Stable per event and incident state: a receiver may deduplicate on it (retries repeat it). */
  readonly deliveryId: string;
  readonly event: WebhookEvent;
  readonly sentAt: string;
  readonly incident: {
    readonly id: string;
    readonly entity: IncidentView['entity'];
    readonly openedAt: string;
    readonly lastSeen: string;
    readonly closedAt?: string;
    readonly detectors: readonly string[];
    readonly anomalies: number;
    readonly maxScore: number;
    readonly severity: string;
    readonly playbooks: readonly string[];
    readonly latest: {
      readonly id: string;
      readonly detector: string;
      readonly severity: string;
      readonly score: number;
      readonly windowStart: string;
      readonly windowEnd: string;
      readonly evidence: IncidentView['latest']['evidence'];
    };
    readonly link?: string;
    /**
     * The case holding the incident (`id`, the key of its `root` entity) and the case it opened
     * in (`openedIn`; differs once its case merged into an older one). Absent when the engine does
     * not know the incident's case (one opened before a restart).
     */
    readonly case?: { readonly id: string; readonly root: string; readonly openedIn?: string };
  };
}

/** Builds the payload; `sentAt` and `closedAt` come from the engine's clock. */
export function webhookPayload(event: WebhookEvent, incident: IncidentView, now: number, link: string | undefined): WebhookPayload {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const latest = incident.latest;
  return {
    version: 1,
    deliveryId: `${incident.id}.${event.slice('incident.'.length)}.${incident.anomalies}`,
    event,
    sentAt: iso(now),
    incident: {
      id: incident.id, entity: incident.entity, openedAt: iso(incident.openedAt), lastSeen: iso(incident.lastSeen),
      ...(event === 'incident.closed' ? { closedAt: iso(now) } : {}),
      detectors: incident.detectors, anomalies: incident.anomalies, maxScore: incident.maxScore,
      severity: incident.first.severity, playbooks: incident.playbooks,
      latest: {
        id: latest.id, detector: latest.detector, severity: latest.severity, score: latest.score,
        windowStart: iso(latest.windowStart), windowEnd: iso(latest.windowEnd), evidence: latest.evidence,
      },
      ...(link !== undefined ? { link } : {}),
      ...(incident.case !== undefined
        ? { case: { id: incident.case.id, root: incident.case.root, ...(incident.openedInCase !== undefined ? { openedIn: incident.openedInCase } : {}) } }
        : {}),
    },
  };
}
