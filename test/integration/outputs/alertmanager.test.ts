import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerOutput } from '../../../src/outputs/alertmanager-output.js';
import { alertmanagerOutputSchema } from '../../../src/outputs/outputs-config.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { startAlertmanager, type AlertmanagerListedAlert, type RunningAlertmanager } from '../../env/alertmanager-server.js';
import { waitFor } from '../../env/wait-for.js';
import { startReceiver, type Receiver } from '../../env/http-receiver.js';
import { burst, burstAll, incidentPipeline } from './outputs-harness.js';

/** What Alertmanager's webhook receiver posts (the fields the tests read). */
interface Notification {
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly alerts: readonly { readonly status: string; readonly labels: Record<string, string> }[];
}

let receiver: Receiver;
let am: RunningAlertmanager;

beforeAll(async () => {
  receiver = await startReceiver();
  // Critical incidents page the SOC; everything else goes to the default receiver.
  am = await startAlertmanager({ receiverBase: receiver.url, routes: [{ name: 'soc-pager', matchers: ['alertname="MeshwardenIncident"', 'severity="critical"'] }] });
}, 60_000);

afterAll(async () => {
  await am.stop();
  await receiver.close();
});

function output(clock: ManualClock, metrics = createMetrics()): AlertmanagerOutput {
  const config = alertmanagerOutputSchema.parse({ enabled: true, url: am.url, externalUrl: 'https://soc.example.com/meshwarden', labels: { cluster: 'prod-eu' } });
  if (config.url === undefined) throw new Error('setup');
  return new AlertmanagerOutput({ ...config, url: config.url }, { clock, logger: silentLogger(), metrics }, 15 * 60_000);
}

function notifications(receiverName: string, incident: string): Notification[] {
  return receiver.requests
    .filter((r) => r.path === `/${receiverName}`)
    .map((r) => JSON.parse(r.body) as Notification)
    .filter((n) => n.alerts.some((a) => a.labels.incident === incident));
}

async function listed(incident: string): Promise<AlertmanagerListedAlert | undefined> {
  return (await am.alerts()).find((a) => a.labels.incident === incident);
}

/** A minute a few minutes back, so the incident's windows are in the past as in a live run. */
function recentMinute(): number {
  return Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
}

describe('Alertmanager output against a real Alertmanager', () => {
  it('posts an incident of a real run as an alert with its labels and annotations, routes it by them, and resolves it when the incident closes', async () => {
    const clock = new ManualClock(Date.now());
    const out = output(clock);
    const pipeline = await incidentPipeline(out);
    burst(pipeline, { namespace: 'ml-prod', name: 'uploader-7d9c8b6f5-x2k4p', app: 'uploader' }, recentMinute());
    await out.idle();

    const alerts = await am.alerts();
    const alert = alerts.find((a) => a.labels.pod === 'uploader-7d9c8b6f5-x2k4p');
    if (alert === undefined) throw new Error(`no alert for the pod in ${JSON.stringify(alerts)}`);
    console.info(`GET /api/v2/alerts returned:\n${JSON.stringify(alert, null, 2)}`);
    const incident = alert.labels.incident ?? '';
    expect(alert.labels).toEqual({
      alertname: 'MeshwardenIncident', severity: 'critical', detector: 'egress-burst-e2e', entity_kind: 'pod',
      entity: 'pod:ml-prod/uploader-7d9c8b6f5-x2k4p', namespace: 'ml-prod', workload: 'uploader', pod: 'uploader-7d9c8b6f5-x2k4p',
      playbook: 'outputs-quarantine', incident, cluster: 'prod-eu', case: alert.labels.case,
    });
    expect(incident).toMatch(/^[0-9a-f]{16}$/);
    // An incident alone is a case of its own: the case it opened in, rooted at its pod.
    expect(alert.labels.case).toMatch(/^[0-9a-f]{16}$/);
    expect(alert.labels.case).not.toBe(incident);
    expect(alert.annotations.case).toBe(alert.labels.case);
    expect(alert.annotations.case_root).toBe('pod:ml-prod/uploader-7d9c8b6f5-x2k4p');
    expect(alert.annotations.summary).toBe('critical egress-burst-e2e anomaly on pod:ml-prod/uploader-7d9c8b6f5-x2k4p');
    expect(alert.annotations.description).toContain('Playbooks: outputs-quarantine.');
    expect(alert.annotations.evidence).toBe('egress_bytes: observed 5000000, expected 1000000 (score 0.961)');
    expect(alert.annotations.link).toBe(`https://soc.example.com/meshwarden/incidents/${incident}`);
    expect(alert.generatorURL).toBe(alert.annotations.link);
    expect(alert.status.state).toBe('active');
    // The labels route: the critical incident reached the pager route, not the default one.
    expect(alert.receivers.map((r) => r.name)).toEqual(['soc-pager']);
    await waitFor('the firing notification at the pager route', 20_000, () => notifications('soc-pager', incident).some((n) => n.status === 'firing'));

    // End of input: the incident closes and its alert is posted resolved.
    pipeline.finish();
    await out.idle();
    await waitFor('the alert to leave the active list', 10_000, async () => (await listed(incident)) === undefined);
    await waitFor('the resolved notification', 20_000, () => notifications('soc-pager', incident).some((n) => n.status === 'resolved'));
    expect(notifications('default', incident)).toEqual([]);
  }, 90_000);

  it('re-sends an open incident so its alert outlives resolve_timeout, each post moving endsAt ahead', async () => {
    const clock = new ManualClock(Date.now());
    const out = output(clock);
    const pipeline = await incidentPipeline(out);
    burst(pipeline, { namespace: 'ml-prod', name: 'trainer-5f6d7c8b9-abcde', app: 'trainer' }, recentMinute());
    await out.idle();
    const first = (await am.alerts()).find((a) => a.labels.pod === 'trainer-5f6d7c8b9-abcde');
    if (first === undefined) throw new Error('no alert');
    clock.advance(60_000);
    out.resend();
    await out.idle();
    const again = await listed(first.labels.incident ?? '');
    expect(Date.parse(again?.endsAt ?? '')).toBe(Date.parse(first.endsAt) + 60_000);
    expect(again?.fingerprint).toBe(first.fingerprint);
    expect(out.openIncidents).toBe(1);
    pipeline.finish();
    await out.idle();
    expect(out.openIncidents).toBe(0);
  }, 60_000);

  it('is silenced by an Alertmanager silence on its own labels', async () => {
    const clock = new ManualClock(Date.now());
    const out = output(clock);
    const silence = await am.silence([{ name: 'alertname', value: 'MeshwardenIncident' }, { name: 'workload', value: 'batch-export' }], 'export window: expected egress');
    const pipeline = await incidentPipeline(out);
    burst(pipeline, { namespace: 'ml-prod', name: 'batch-export-6c7d8e9f0-qwert', app: 'batch-export' }, recentMinute());
    await out.idle();
    await waitFor('the alert to be listed as suppressed', 10_000, async () => {
      const alert = (await am.alerts()).find((a) => a.labels.workload === 'batch-export');
      return alert?.status.state === 'suppressed' && alert.status.silencedBy.includes(silence);
    });
    const incident = (await am.alerts()).find((a) => a.labels.workload === 'batch-export')?.labels.incident ?? '';
    // Alertmanager sends nothing for a silenced alert (its grouping runs with group_wait 0s).
    await out.idle();
    expect(notifications('soc-pager', incident)).toEqual([]);
    pipeline.finish();
    await out.idle();
  }, 60_000);

  it('keeps a hostile model or pod name inside its own label: no extra label, no broken route, no escape into a silence', async () => {
    const clock = new ManualClock(Date.now());
    const out = output(clock);
    const pipeline = await incidentPipeline(out);
    // What a compromised shipper or publisher would try: close the value and add labels, break lines, overflow.
    const hostile = `evil",severity="info",alertname="Other\n\u202eroute\u0000${'x'.repeat(400)}`;
    burst(pipeline, { namespace: 'ml-prod', name: hostile, app: 'evil"} severity="info' }, recentMinute());
    await out.idle();
    const alert = (await am.alerts()).find((a) => a.labels.namespace === 'ml-prod' && a.labels.pod?.startsWith('evil') === true);
    if (alert === undefined) throw new Error('no alert for the hostile pod');
    expect(Object.keys(alert.labels).sort()).toEqual(['alertname', 'case', 'cluster', 'detector', 'entity', 'entity_kind', 'incident', 'namespace', 'playbook', 'pod', 'severity', 'workload']);
    expect(alert.labels.case).toMatch(/^[0-9a-f]{16}$/);
    // The case's root is this pod: annotated on one line, cleaned as its label is.
    expect(alert.annotations.case_root).toMatch(/^pod:ml-prod\/evil",severity="info",alertname="Other__route_x+…$/);
    expect(alert.labels.alertname).toBe('MeshwardenIncident');
    expect(alert.labels.severity).toBe('critical');
    expect(Array.from(alert.labels.pod ?? '').length).toBeLessThanOrEqual(128);
    expect(alert.labels.pod).toMatch(/^evil",severity="info",alertname="Other__route_x+…$/);
    expect(alert.labels.workload).toBe('evil"} severity="info');
    // It still pages through the critical route its real severity selects.
    expect(alert.receivers.map((r) => r.name)).toEqual(['soc-pager']);
    // A silence on the hostile-looking severity text silences nothing of ours.
    await am.silence([{ name: 'severity', value: 'info' }], 'what the injection would have matched');
    expect((await listed(alert.labels.incident ?? ''))?.status.state).toBe('active');
    pipeline.finish();
    await out.idle();
  }, 60_000);

  it('labels the incidents of one case with one case, and keeps an alert\'s identity when another incident joins its case', async () => {
    const clock = new ManualClock(Date.now());
    const out = output(clock);
    const pipeline = await incidentPipeline(out);
    // Two pods of one workload exfiltrate in the same minute: two incidents, one case.
    const pods = [{ namespace: 'ml-prod', name: 'sync-6b8c9d7f5-aaaaa', app: 'sync' }, { namespace: 'ml-prod', name: 'sync-6b8c9d7f5-bbbbb', app: 'sync' }];
    burstAll(pipeline, pods, recentMinute());
    await out.idle();
    const alerts = (await am.alerts()).filter((a) => a.labels.workload === 'sync');
    expect(alerts).toHaveLength(2);
    const [first, second] = alerts;
    expect(first?.labels.incident).not.toBe(second?.labels.incident);
    expect(first?.labels.case).toMatch(/^[0-9a-f]{16}$/);
    expect(second?.labels.case).toBe(first?.labels.case);
    // Re-sent after the second joined, the first alert is the same alert (its fingerprint is its label set).
    clock.advance(60_000);
    out.resend();
    await out.idle();
    const again = (await am.alerts()).filter((a) => a.labels.workload === 'sync');
    expect(again.map((a) => a.fingerprint).sort()).toEqual(alerts.map((a) => a.fingerprint).sort());
    expect(again.map((a) => a.annotations.case)).toEqual([first?.labels.case, first?.labels.case]);
    pipeline.finish();
    await out.idle();
  }, 60_000);

  it('counts failed posts and never blocks the stream when Alertmanager is down', async () => {
    const clock = new ManualClock(Date.now());
    const metrics = createMetrics();
    const dead = await startReceiver(Array.from({ length: 20 }, () => 503));
    const config = alertmanagerOutputSchema.parse({ enabled: true, url: dead.url });
    const out = new AlertmanagerOutput({ ...config, url: dead.url }, {
      clock, logger: silentLogger(), metrics, retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 },
    }, 15 * 60_000);
    const pipeline = await incidentPipeline(out);
    burst(pipeline, { namespace: 'ml-prod', name: 'loader-1a2b3c4d5-zxcvb', app: 'loader' }, recentMinute());
    // The burst was processed (the incident is open) before any post finished.
    expect(out.openIncidents).toBe(1);
    await out.idle();
    await dead.close();
    const counted = await metrics.outputDeliveries.get();
    const by = (outcome: string): number => counted.values.find((v) => v.labels.output === 'alertmanager' && v.labels.outcome === outcome)?.value ?? 0;
    expect([by('retried'), by('failed'), by('delivered')]).toEqual([2, 1, 0]);
    expect(dead.requests).toHaveLength(3);
  }, 60_000);
});
