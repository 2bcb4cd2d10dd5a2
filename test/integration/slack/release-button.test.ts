/**
 * "Release pod" in the incident thread: a signed click from the local Slack server, through the
 * interactions endpoint, releases a real quarantine on the test API server, frees the pod's budget
 * and says who asked, in the ledger and in Slack. Needs the kubernetes backend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAction } from '../../../src/actions/action-registry.js';
import { QUARANTINE_LABEL } from '../../../src/actions/kubernetes/quarantine-pod.js';
import { FileIncidentThreadStore } from '../../../src/actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../../../src/actions/slack/incident-threads.js';
import { FileApprovalStore } from '../../../src/approvals/approval-store.js';
import { ApprovalService } from '../../../src/approvals/approval-service.js';
import type { InteractionResult } from '../../../src/approvals/approval-types.js';
import { QuarantineReleaseButtons, RELEASE_ACTION_ID, releaseButtonBlock } from '../../../src/approvals/release-button.js';
import { releaseOnRequest } from '../../../src/coordination/quarantine-sweep.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard, type GuardRequest } from '../../../src/playbook/safety-guard.js';
import { createSlackInteractionsEndpoint, slackInteractionsListener } from '../../../src/server/slack-interactions.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { Secret } from '../../../src/shared/secret.js';
import { startSlackTestServer, type SlackTestServer } from '../../env/slack-server.js';
import { actionContext, newIdempotencyKey, run } from '../actions/action-harness.js';
import { admin, deleteNamespaces, restrictedTo, runningDeployment } from '../actions/kube-harness.js';

const BOT_TOKEN = `xoxb-${Date.now()}-release`;
const SIGNING_SECRET = `signing-${process.pid}-${Date.now()}`;
const ALERTS = 'C0ALERTS';

let slackServer: SlackTestServer;
let engine: Server;
let interactionsUrl: string;
let stateDir: string;
const received: InteractionResult[] = [];

beforeAll(async () => {
  slackServer = await startSlackTestServer({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, usergroups: { S0SOC: ['U0CAROL'] } });
  stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-release-button-'));
});

afterAll(async () => {
  engine.closeAllConnections();
  await new Promise((resolve) => engine.close(resolve));
  await slackServer.close();
  rmSync(stateDir, { recursive: true, force: true });
  await deleteNamespaces();
});

function anomalyOn(namespace: string, pod: string): Anomaly {
  const now = Date.now();
  return {
    id: `a-${pod}`, detector: 'egress-spike', severity: 'critical', score: 0.99,
    entity: { key: `pod:${namespace}/${pod}`, kind: 'pod', namespace, name: pod, pod, workload: 'model' },
    windowStart: now - 60_000, windowEnd: now, evidence: [{ feature: 'egress_bytes', observed: 3.7e7, expected: 1465, spread: 500, score: 0.99 }],
  };
}

describe('the Release pod button', () => {
  it('releases the quarantine for an allow-listed user only, frees its budget, and says who asked in the ledger and the thread', async () => {
    const { namespace, pods: [pod = ''] } = await runningDeployment('release-button', 'model', 2);
    const quarantine = findAction('kubernetes.quarantine-pod');
    const release = findAction('kubernetes.release-pod');
    if (!quarantine || !release) throw new Error('actions');
    // The engine's identity: what the two actions declare, nothing more.
    const kube = await restrictedTo(namespace, [quarantine, release]);
    // Not detached: the pod stays in its ReplicaSet, which therefore deletes no surplus pod (maybe this one) after the release.
    await run('kubernetes.quarantine-pod', { namespace, pod, detach: false }, actionContext({ kube }, { idempotencyKey: newIdempotencyKey() }));
    const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
    const request: GuardRequest = { action: quarantine, target: { kind: 'Pod', namespace, name: pod }, workload: 'model', detector: 'egress-spike' };
    guard.record(request, Date.now());
    expect(guard.check({ ...request, target: { kind: 'Pod', namespace, name: `${pod}-sibling` } }, Date.now()).allowed).toBe(false);

    const logger = silentLogger();
    const slack = new WebClient(BOT_TOKEN, { slackApiUrl: slackServer.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    const threads = new SlackIncidentThreads({ slack, store: new FileIncidentThreadStore(stateDir, logger), logger });
    const secret = new Secret(`binding-${Date.now()}`);
    const approvals = await ApprovalService.open({
      slack, threads, store: new FileApprovalStore(stateDir), bindingSecret: secret, signingSecret: new Secret(SIGNING_SECRET), clock: systemClock, logger,
    });
    const ledger: [string, Record<string, unknown>][] = [];
    new QuarantineReleaseButtons({
      approvals, slack, secret, logger, releasers: { users: ['U0ALICE'], groups: ['S0SOC'] },
      release: (target, by) => releaseOnRequest({
        actionDeps: { kube, clock: systemClock, logger }, guard, threads,
        ledger: { append: (type, data) => { ledger.push([type, data as Record<string, unknown>]); }, flush: () => Promise.resolve() },
      }, { ...target, by, via: 'slack-release' }),
    }).attach();
    engine = createServer(slackInteractionsListener(createSlackInteractionsEndpoint(approvals), logger, (r) => received.push(r)));
    await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
    interactionsUrl = `http://127.0.0.1:${(engine.address() as AddressInfo).port}/slack/interactions`;

    // The incident's thread, and the quarantine's line in it with the button (what the service posts).
    const incidentId = `incident-${pod}`;
    const parent = await threads.notify({ incidentId, channel: '#soc-alerts', anomaly: anomalyOn(namespace, pod), idempotencyKey: `isolate/${incidentId}/0` });
    await threads.recordAction(incidentId, `isolate the pod (kubernetes.quarantine-pod) on Pod ${namespace}/${pod}: succeeded: quarantined`, `isolate/${incidentId}/1`,
      releaseButtonBlock(secret, { namespace, pod, incidentId }));
    const withButton = slackServer.replies(ALERTS, parent.ts).find((m) => JSON.stringify(m.blocks).includes(RELEASE_ACTION_ID));
    if (withButton === undefined) throw new Error('no reply with the release button');
    const click = (user: string) => slackServer.clickPayload({ user, channel: ALERTS, ts: withButton.ts, actionId: RELEASE_ACTION_ID });
    const quarantined = async (): Promise<boolean> => (await admin().core.readNamespacedPod({ namespace, name: pod })).metadata?.labels?.[QUARANTINE_LABEL] === 'true';

    // Someone not on the allow-list: refused, nothing released.
    expect((await slackServer.deliver(interactionsUrl, slackServer.signInteraction(click('U0MALLORY')))).status).toBe(200);
    expect(received.at(-1)).toMatchObject({ type: 'rejected', reason: 'not-an-approver', user: 'U0MALLORY' });
    // A button value edited to name another pod: refused.
    const forged = click('U0ALICE') as { actions: { value: string }[] };
    const [action] = forged.actions;
    if (action) action.value = action.value.replace(`/${pod}/`, '/another-pod/');
    await slackServer.deliver(interactionsUrl, slackServer.signInteraction(forged));
    expect(received.at(-1)).toMatchObject({ type: 'rejected', reason: 'binding-mismatch' });
    expect(await quarantined()).toBe(true);
    expect(ledger).toEqual([]);

    // Carol, allow-listed through her user group: released.
    const signed = slackServer.signInteraction(click('U0CAROL'));
    expect((await slackServer.deliver(interactionsUrl, signed)).status).toBe(200);
    expect(received.at(-1)).toMatchObject({ type: 'handled', actionId: RELEASE_ACTION_ID, user: 'U0CAROL', detail: expect.stringContaining(`released pod ${namespace}/${pod}`) as unknown });
    expect(await quarantined()).toBe(false);
    expect((await admin().networking.listNamespacedNetworkPolicy({ namespace })).items).toEqual([]);
    expect(guard.quarantinedPods().has(`${namespace}/${pod}`)).toBe(false);
    expect(ledger).toEqual([['action', expect.objectContaining({
      playbook: 'slack-release', action: 'kubernetes.release-pod', target: `Pod ${namespace}/${pod}`, incidentId, requestedBy: 'U0CAROL', outcome: 'succeeded',
    })]]);
    // The button gave way to who released the pod; the thread's parent lists the release.
    expect(slackServer.message(ALERTS, withButton.ts)?.text).toContain('Released by <@U0CAROL>');
    expect(JSON.stringify(slackServer.message(ALERTS, withButton.ts)?.blocks)).not.toContain(RELEASE_ACTION_ID);
    expect(JSON.stringify(slackServer.message(ALERTS, parent.ts)?.blocks)).toContain(`release (slack-release, asked by Slack user U0CAROL) on Pod ${namespace}/${pod}: succeeded`);

    // The same click again: a replay.
    await slackServer.deliver(interactionsUrl, signed);
    expect(received.at(-1)).toMatchObject({ type: 'rejected', reason: 'replayed' });
    expect(ledger).toHaveLength(1);
  }, 180_000);
});
