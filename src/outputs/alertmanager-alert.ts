import type { Evidence } from '../detect/anomaly.js';
import { formatScore } from '../shared/format-score.js';
import type { IncidentView } from './incident-sink.js';
import { annotationText, labelValue } from './label-value.js';

/** One alert as Alertmanager's `POST /api/v2/alerts` takes it (`postableAlert`). */
export interface AlertmanagerAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL?: string;
}

/** The alert name every incident alert carries: route on it, or on `detector` and `severity`. */
export const INCIDENT_ALERT_NAME = 'MeshwardenIncident';

/** Evidence lines shown in the annotation. */
const MAX_EVIDENCE_LINES = 8;

/**
 * The labels of an incident's alert. Alertmanager identifies an alert by its label set, so they
 * are taken from what opened the incident and never change while it is open: a later anomaly of
 * another detector or severity updates the annotations, it does not start a second alert. Each
 * value is one string field of the JSON body (no text format to escape from) and goes through
 * {@link labelValue}; the label names are the engine's own. `case` is the case the incident opened
 * in (its own, or the one it joined), for grouping related incidents into one notification; the
 * case it is in now and that case's root are annotations, since a merge or a new root must not
 * change the alert's identity.
 */
export function alertLabels(incident: IncidentView, staticLabels: Readonly<Record<string, string>>): Record<string, string> {
  const entity = incident.entity;
  const labels: Record<string, string> = {
    ...staticLabels,
    alertname: INCIDENT_ALERT_NAME,
    severity: incident.first.severity,
    detector: labelValue(incident.first.detector),
    entity_kind: entity.kind,
    entity: labelValue(entity.key),
    incident: incident.id,
  };
  if (entity.namespace !== undefined) labels.namespace = labelValue(entity.namespace);
  if (entity.workload !== undefined) labels.workload = labelValue(entity.workload);
  if (entity.pod !== undefined) labels.pod = labelValue(entity.pod);
  const playbook = incident.playbooks[0];
  if (playbook !== undefined) labels.playbook = labelValue(playbook);
  // The case it opened in, not the case it is in now: a merge later must not start a second alert.
  if (incident.openedInCase !== undefined) labels.case = labelValue(incident.openedInCase);
  return labels;
}

/** The link back to the incident: `<externalUrl>/incidents/<id>`. */
export function incidentLink(externalUrl: string | undefined, incidentId: string): string | undefined {
  if (externalUrl === undefined) return undefined;
  return `${externalUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(incidentId)}`;
}

/** Annotations: what a person reads in the notification. Rebuilt at every post. */
export function alertAnnotations(incident: IncidentView, link: string | undefined): Record<string, string> {
  const latest = incident.latest;
  const summary = `${latest.severity} ${latest.detector} anomaly on ${incident.entity.key}`;
  const description = [
    `Incident ${incident.id} on ${incident.entity.key}: ${incident.anomalies} anomal${incident.anomalies === 1 ? 'y' : 'ies'} ` +
      `from ${incident.detectors.join(', ')} since ${new Date(incident.openedAt).toISOString()}, ` +
      `last in the window ending ${new Date(incident.lastSeen).toISOString()}, highest score ${formatScore(incident.maxScore)}.`,
    incident.playbooks.length > 0 ? `Playbooks: ${incident.playbooks.join(', ')}.` : 'No playbook matched.',
    ...(incident.case !== undefined ? [`Case ${incident.case.id}, root ${incident.case.root}.`] : []),
  ].join('\n');
  return {
    summary: annotationText(summary, 300),
    description: annotationText(description),
    evidence: annotationText(evidenceLines(latest.evidence)),
    // The case it is in now, and its root: on one line each, as cleaned as a label (a root can be a client's name).
    ...(incident.case !== undefined ? { case: labelValue(incident.case.id), case_root: labelValue(incident.case.root, 300) } : {}),
    ...(link !== undefined ? { link } : {}),
  };
}

/**
 * The alert for an incident. Open: it ends `openUntil` (a few resend intervals ahead), so
 * Alertmanager resolves it by itself if the engine stops sending. Closed: it ends `closedAt`.
 */
export function incidentAlert(
  incident: IncidentView,
  labels: Readonly<Record<string, string>>,
  options: { readonly externalUrl?: string | undefined; readonly endsAt: number },
): AlertmanagerAlert {
  const link = incidentLink(options.externalUrl, incident.id);
  // Alertmanager refuses an alert that ends before it starts (event time can run ahead of the clock).
  const endsAt = Math.max(options.endsAt, incident.openedAt);
  return {
    labels,
    annotations: alertAnnotations(incident, link),
    startsAt: new Date(incident.openedAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    ...(link !== undefined ? { generatorURL: link } : {}),
  };
}

function evidenceLines(evidence: readonly Evidence[]): string {
  const lines = evidence.slice(0, MAX_EVIDENCE_LINES).map((e) =>
    `${e.feature}: observed ${formatNumber(e.observed)}, expected ${formatNumber(e.expected)} (score ${formatScore(e.score)})`);
  if (evidence.length > MAX_EVIDENCE_LINES) lines.push(`... and ${evidence.length - MAX_EVIDENCE_LINES} more`);
  return lines.length > 0 ? lines.join('\n') : '-';
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}
