import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../../src/app.js';
import type { Entity } from '../../../src/features/entity.js';
import { alertAnnotations, alertLabels } from '../../../src/outputs/alertmanager-alert.js';
import { IncidentReporter } from '../../../src/outputs/incident-reporter.js';
import type { IncidentSink, IncidentView } from '../../../src/outputs/incident-sink.js';
import { webhookPayload } from '../../../src/outputs/webhook-payload.js';
import type { Incident } from '../../../src/triage/incident-tracker.js';
import { anomalyOn, caseAnomalies, frontend, frontendPod, loadWithPlaybook, NOTIFY_PLAYBOOK, T0 } from '../helpers/case-story.js';

/** Every view each sink call received, in order. */
function recorder(): { readonly sink: IncidentSink; readonly seen: { readonly call: string; readonly view: IncidentView }[] } {
  const seen: { call: string; view: IncidentView }[] = [];
  return {
    seen,
    sink: {
      opened: (view) => { seen.push({ call: 'opened', view }); },
      updated: (view) => { seen.push({ call: 'updated', view }); },
      closed: (view) => { seen.push({ call: 'closed', view }); },
    },
  };
}

function incidentOn(entity: Entity, id: string): Incident {
  return { id, entity, openedAt: T0, lastSeen: T0 + 60_000, detectors: new Set(['error-storm']), anomalies: 1, maxScore: 0.97 };
}

describe('the case in the Alertmanager alert and the webhook', () => {
  it('labels each incident of a real run with the case it opened in, and annotates the case and its root', async () => {
    const { detectors, playbooks } = await loadWithPlaybook(NOTIFY_PLAYBOOK);
    const { sink, seen } = recorder();
    const pipeline = new Pipeline(detectors, playbooks, DEFAULT_PIPELINE_OPTIONS, { deadLetters: { add: () => undefined }, ledger: { append: () => undefined, flush: () => Promise.resolve() }, incidents: sink });
    for (const anomaly of caseAnomalies()) pipeline.inject(anomaly);
    pipeline.finish();

    const opened = seen.filter((s) => s.call === 'opened').map((s) => s.view);
    const storm = opened.find((v) => v.entity.key === frontend.key);
    const pod = opened.find((v) => v.entity.key === frontendPod.key);
    const caseId = storm?.openedInCase ?? '';
    expect(caseId).toMatch(/^[0-9a-f]{16}$/);
    // The pod joined the storm's case when it opened: its alert groups with the storm's.
    expect(pod?.openedInCase).toBe(caseId);
    expect(pod && alertLabels(pod, {})).toMatchObject({ case: caseId, incident: pod?.id });
    expect(pod && alertAnnotations(pod, undefined)).toMatchObject({ case: caseId, case_root: frontend.key });
    expect(pod && webhookPayload('incident.opened', pod, T0, undefined).incident.case).toEqual({ id: caseId, root: frontend.key, openedIn: caseId });
    // Closed alerts keep the label they were opened with.
    for (const closed of seen.filter((s) => s.call === 'closed').map((s) => s.view)) {
      expect(alertLabels(closed, {}).case).toBe(opened.find((o) => o.id === closed.id)?.openedInCase);
    }
  });

  it('keeps the alert\'s labels when its case merges into an older one: only the annotations follow the case', () => {
    const { sink, seen } = recorder();
    const reporter = new IncidentReporter(sink);
    const incident = incidentOn(frontendPod, 'i-pod');
    reporter.observed(incident, anomalyOn(frontendPod, 'new-callee-edges', 0), true, [], { id: 'c-own', root: frontendPod.key });
    // A later incident related to both merged the pod's case into an older one, rooted elsewhere.
    reporter.observed(incident, anomalyOn(frontendPod, 'new-callee-edges', 1), false, [], { id: 'c-older', root: 'workload:ml-prod/feature-store' });
    reporter.resolved(incident, { id: 'c-older', root: 'workload:ml-prod/feature-store' });

    const labels = seen.map((s) => alertLabels(s.view, {}));
    expect(labels.map((l) => l.case)).toEqual(['c-own', 'c-own', 'c-own']);
    expect(labels[1]).toEqual(labels[0]);
    expect(seen.map((s) => alertAnnotations(s.view, undefined).case)).toEqual(['c-own', 'c-older', 'c-older']);
    const last = seen.at(-1)?.view;
    expect(last && webhookPayload('incident.closed', last, T0, undefined).incident.case).toEqual({ id: 'c-older', root: 'workload:ml-prod/feature-store', openedIn: 'c-own' });
    expect(last && alertAnnotations(last, undefined).description).toContain('Case c-older, root workload:ml-prod/feature-store.');
  });

  it('cannot add a label or break a line through a client-chosen root', () => {
    const hostileRoot = `principal:evil",case="c-other",severity="info\n\u001b[2J\u202eroot${'x'.repeat(500)}`;
    const { sink, seen } = recorder();
    const reporter = new IncidentReporter(sink);
    const principal: Entity = { key: hostileRoot, kind: 'principal', name: hostileRoot.slice('principal:'.length), identity: 'ip' };
    reporter.observed(incidentOn(principal, 'i-evil'), anomalyOn(principal, 'auth-failure-storm', 0), true, [], { id: 'c-evil', root: hostileRoot });
    const view = seen[0]?.view;
    if (view === undefined) throw new Error('no view');
    const labels = alertLabels(view, {});
    expect(Object.keys(labels).sort()).toEqual(['alertname', 'case', 'detector', 'entity', 'entity_kind', 'incident', 'severity']);
    expect(labels.case).toBe('c-evil');
    expect(labels.severity).toBe('high');
    const annotations = alertAnnotations(view, undefined);
    expect(annotations.case_root).toMatch(/^principal:evil",case="c-other",severity="info__\[2J_rootx+…$/u);
    expect(Array.from(annotations.case_root ?? '').length).toBeLessThanOrEqual(300);
    for (const character of ['\n', '\u001b', '\u202e']) expect(annotations.case_root).not.toContain(character);
  });
});
