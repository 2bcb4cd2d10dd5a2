/**
 * The shipped example playbooks, end to end on the real backends: anomaly -> playbook -> approval
 * in Slack (signed clicks on the local Slack Web API server) -> Kubernetes actions as a user
 * holding only the RBAC the actions declare -> Vault rotation with a token holding only the
 * declared policy. Prints `timing:` lines with anomaly-to-effect times.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
import { ApprovalService } from '../../../src/approvals/approval-service.js';
import { FileApprovalStore } from '../../../src/approvals/approval-store.js';
import { APPROVE_ACTION_ID } from '../../../src/approvals/interaction-payload.js';
import { currentSubjectsWith } from '../../../src/approvals/current-subjects.js';
import { inspectKubeTarget } from '../../../src/actions/kubernetes/inspect-target.js';
import { SlackApprovalGate } from '../../../src/approvals/slack-approval-gate.js';
import { Ledger } from '../../../src/audit/ledger.js';
import { verifyLedger } from '../../../src/audit/verify-ledger.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { applyVarOverrides } from '../../../src/playbook/playbook-vars.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import type { Entity } from '../../../src/features/entity.js';
import { PlaybookEngine } from '../../../src/playbook/playbook-engine.js';
import { RunExecutor } from '../../../src/playbook/run-executor.js';
import { FileRunStore, type PlaybookRun } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../../../src/playbook/safety-guard.js';
import { createSlackInteractionsEndpoint, slackInteractionsListener } from '../../../src/server/slack-interactions.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { Secret } from '../../../src/shared/secret.js';
import { IncidentTracker } from '../../../src/triage/incident-tracker.js';
import { startSlackTestServer, type SlackTestServer } from '../../env/slack-server.js';
import { waitFor } from '../../env/wait-for.js';
import { reportTiming } from '../actions/action-harness.js';
import { admin, deleteNamespaces, deploymentManifest, newNamespace, restrictedTo, runningPods, setImage, waitForRollout } from '../actions/kube-harness.js';
import { clientFor, rootClient } from '../actions/vault-harness.js';

const BOT_TOKEN = `xoxb-${Date.now()}-response`;
const SIGNING_SECRET = `signing-${process.pid}-${Date.now()}`;
const MIN = 60_000;

let namespace: string;
let slackServer: SlackTestServer;
let engineHttp: Server;
let interactionsUrl: string;
let approvals: ApprovalService;
let executor: RunExecutor;
let engine: PlaybookEngine;
let store: FileRunStore;
let stateDir: string;
const tracker = new IncidentTracker(10 * MIN);

/**
 * The example playbooks as shipped, pointed at this test's namespace instead of `ml-prod`, with
 * the install values the credential rotation needs (it has no site defaults).
 */
async function examplePlaybooks(ns: string) {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-playbooks-'));
  for (const file of readdirSync('playbooks').filter((name) => /\.ya?ml$/.test(name))) writeFileSync(join(dir, file), readFileSync(join('playbooks', file), 'utf8').replaceAll('ml-prod', ns));
  const config = await loadConfig(['detectors', dir]);
  expect(config.problems).toEqual([]);
  const installed = applyVarOverrides(config.playbooks.map((p) => p.value), {
    'rotate-credentials-on-stuffing': { authNamespace: ns, sessionSecretPath: `${ns}/auth/session` },
  });
  expect(installed.problems).toEqual([]);
  return installed.playbooks;
}

function anomaly(detector: string, entity: Entity, windowEnd: number, feature: string, observed: number, expected: number): Anomaly {
  return {
    id: `${detector}-${windowEnd}`, detector, severity: 'critical', score: 0.995, entity, windowStart: windowEnd - MIN, windowEnd,
    evidence: [{ feature, observed, expected, spread: expected / 10 + 1e-3, score: 0.995 }],
  };
}

/** Hands anomalies to the engine as the pipeline would and starts the live runs they trigger. */
async function raise(...anomalies: Anomaly[]): Promise<PlaybookRun[]> {
  const runs: PlaybookRun[] = [];
  for (const a of anomalies) {
    const { runs: started } = engine.handle(a, tracker.observe(a).incident);
    for (const run of started) {
      await executor.start(run);
      runs.push(run);
    }
  }
  return runs;
}

async function finished(runId: string): Promise<PlaybookRun> {
  let run: PlaybookRun | undefined;
  await waitFor(`run ${runId} to finish`, 90_000, async () => {
    run = await store.get(runId);
    return run?.state === 'done' || run?.state === 'aborted';
  });
  if (!run) throw new Error(`run ${runId} vanished`);
  return run;
}

/** An allow-listed approver clicks Approve on the pending approval of `runId`: a signed request, as Slack sends it. */
async function approveAs(user: string, runId: string): Promise<void> {
  let record: ReturnType<ApprovalService['list']>[number] | undefined;
  await waitFor(`an approval request for ${runId}`, 30_000, () => {
    record = approvals.list().find((r) => r.runId === runId && r.message !== undefined);
    return Promise.resolve(record !== undefined);
  });
  const message = record?.message;
  if (!message) throw new Error('approval was not posted');
  const click = slackServer.clickPayload({ user, channel: message.channel, ts: message.ts, actionId: APPROVE_ACTION_ID });
  const answer = await slackServer.deliver(interactionsUrl, slackServer.signInteraction(click));
  expect(answer.status).toBe(200);
}

beforeAll(async () => {
  namespace = await newNamespace('resp');
  const { apps } = admin();
  await apps.createNamespacedDeployment({ namespace, body: deploymentManifest('inference', 'registry.local/inference:3.1', 3) });
  await apps.createNamespacedDeployment({ namespace, body: deploymentManifest('auth', 'registry.local/auth:2.0', 2) });
  await apps.createNamespacedDeployment({ namespace, body: deploymentManifest('fraud-detector-predictor', 'registry.local/fraud-detector:v2', 2) });
  await waitForRollout(namespace, 'fraud-detector-predictor');
  await setImage(namespace, 'fraud-detector-predictor', 'registry.local/fraud-detector:v3');
  for (const name of ['inference', 'auth', 'fraud-detector-predictor']) await waitForRollout(namespace, name);
  await waitFor('3 inference pods Running', 90_000, async () => (await runningPods(namespace, 'app=inference')).length === 3);

  // Least privilege: Kubernetes as the restricted user bound to the actions' declared RBAC only,
  // Vault with a token holding only the rotation's declared policy.
  const kubeActions = ['kubernetes.quarantine-pod', 'kubernetes.rollback-deployment', 'kubernetes.restart-deployment'].map((id) => {
    const action = findAction(id);
    if (!action) throw new Error(id);
    return action;
  });
  const kube = await restrictedTo(namespace, kubeActions);
  const secretPath = `${namespace}/auth/session`;
  await rootClient().write(`secret/data/${secretPath}`, { data: { 'signing-key': 'old-signing-key', issuer: 'meshwarden-test' } });
  const { client: vault } = await clientFor('vault.rotate-secret', { path: secretPath, keys: ['signing-key'] });

  slackServer = await startSlackTestServer({
    botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET,
    channels: { 'soc-alerts': 'C0ALERTS', 'soc-approvals': 'C0APPROVALS', 'ml-oncall': 'C0MLONCALL' },
    usergroups: { S0SOCONCALL: ['U0ALICE'], S0MLONCALL: ['U0BOB'] },
  });
  const slack = new WebClient(BOT_TOKEN, { slackApiUrl: slackServer.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-response-'));
  const logger = silentLogger();
  const threads = new SlackIncidentThreads({ slack, store: new FileIncidentThreadStore(stateDir, logger), logger });
  approvals = await ApprovalService.open({
    slack, threads, store: new FileApprovalStore(stateDir), bindingSecret: new Secret(`binding-${Date.now()}`),
    signingSecret: new Secret(SIGNING_SECRET), clock: systemClock, logger,
  });
  engineHttp = createServer(slackInteractionsListener(createSlackInteractionsEndpoint(approvals), logger));
  await new Promise<void>((resolve) => engineHttp.listen(0, '127.0.0.1', resolve));
  interactionsUrl = `http://127.0.0.1:${(engineHttp.address() as AddressInfo).port}/slack/interactions`;

  const playbooks = await examplePlaybooks(namespace);
  const ledger = await Ledger.open(join(stateDir, 'audit'), systemClock);
  store = new FileRunStore(join(stateDir, 'runs'));
  const inspectTarget = (target: Parameters<typeof inspectKubeTarget>[1]) => inspectKubeTarget(kube, target);
  const gate = new SlackApprovalGate({
    service: approvals, logger, deliver: (runId, approvalId, decision) => executor.decide(runId, approvalId, decision),
    currentSubjects: currentSubjectsWith(inspectTarget),
  });
  executor = new RunExecutor({
    playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])),
    guard: new SafetyGuard(DEFAULT_SAFETY_POLICY), store, ledger,
    actionDeps: { kube, vault, slack, slackThreads: threads, clock: systemClock, logger },
    approvals: gate, inspectTarget,
  });
  engine = new PlaybookEngine(playbooks, { dryRun: false });
}, 300_000);

afterAll(async () => {
  engineHttp.closeAllConnections();
  await new Promise((resolve) => engineHttp.close(resolve));
  await slackServer.close();
  await deleteNamespaces();
});

describe('example playbooks on the real backends', () => {
  it('quarantine-on-exfiltration isolates exactly the exfiltrating pod, the workload heals, the SOC is told', async () => {
    const [target, ...siblings] = await runningPods(namespace, 'app=inference');
    const pod = target?.metadata?.name ?? '';
    const entity: Entity = { key: `pod:${namespace}/${pod}`, kind: 'pod', namespace, name: pod, pod, workload: 'inference', labels: { app: 'inference' } };
    const started = performance.now();
    const [run] = await raise(anomaly('egress-spike', entity, Date.now(), 'egress_bytes', 9e7, 1.5e3));
    const done = await finished(run?.id ?? '');
    const { core, networking } = admin();
    const isolated = await core.readNamespacedPod({ name: pod, namespace });
    const policies = await networking.listNamespacedNetworkPolicy({ namespace });
    reportTiming('quarantine-on-exfiltration', 'anomaly to run done (pod isolated by its NetworkPolicy, SOC told)', Math.round(performance.now() - started));

    expect(done.results.map((r) => [r.step, r.outcome])).toEqual([['isolate the pod', 'succeeded'], ['tell the SOC', 'succeeded']]);
    expect(isolated.metadata?.labels?.[QUARANTINE_LABEL]).toBe('true');
    expect(policies.items.filter((p) => JSON.stringify(p.spec?.podSelector).includes(pod) || p.metadata?.name?.includes(pod) === true)).toHaveLength(1);
    // The siblings keep serving and the Deployment is back at three Running pods besides the quarantined one.
    await waitFor('the workload to heal', 90_000, async () => (await runningPods(namespace, 'app=inference')).filter((p) => p.metadata?.name !== pod).length === 3);
    const serving = (await runningPods(namespace, 'app=inference')).map((p) => p.metadata?.name);
    for (const sibling of siblings) expect(serving).toContain(sibling.metadata?.name);
    expect(slackServer.channelMessages('C0ALERTS').some((m) => m.text.includes(pod) || JSON.stringify(m.blocks).includes(pod))).toBe(true);
  }, 180_000);

  it('model-rollback waits for its "for" duration and an ML approver, then rolls the predictor back to its previous template', async () => {
    const entity: Entity = { key: `model:${namespace}/fraud-detector@v3`, kind: 'model', namespace, name: 'fraud-detector', model: 'fraud-detector', version: 'v3' };
    const now = Date.now();
    const runs = await raise(
      anomaly('model-confidence-collapse', entity, now - 5 * MIN, 'confidence_mean', 0.45, 0.92),
      anomaly('model-confidence-collapse', entity, now, 'confidence_mean', 0.44, 0.92),
    );
    expect(runs).toHaveLength(1);
    const started = performance.now();
    await approveAs('U0BOB', runs[0]?.id ?? '');
    const done = await finished(runs[0]?.id ?? '');
    reportTiming('model-rollback', 'approval click to rollback applied', Math.round(performance.now() - started));
    expect(done.results.map((r) => [r.step, r.outcome])).toEqual([['alert', 'succeeded'], ['approve rollback', 'approved'], ['roll back', 'succeeded']]);
    const deployment = await admin().apps.readNamespacedDeployment({ name: 'fraud-detector-predictor', namespace });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('registry.local/fraud-detector:v2');
  }, 180_000);

  it('voids an approval whose target changed after it was shown: the predictor is not rolled back', async () => {
    const entity: Entity = { key: `model:${namespace}/fraud-detector@v4`, kind: 'model', namespace, name: 'fraud-detector', model: 'fraud-detector', version: 'v4' };
    await setImage(namespace, 'fraud-detector-predictor', 'registry.local/fraud-detector:v4');
    const now = Date.now();
    const runs = await raise(
      anomaly('model-confidence-collapse', entity, now - 5 * MIN, 'confidence_mean', 0.45, 0.92),
      anomaly('model-confidence-collapse', entity, now, 'confidence_mean', 0.44, 0.92),
    );
    // Someone changes the Deployment between the request and the click.
    await setImage(namespace, 'fraud-detector-predictor', 'registry.local/fraud-detector:v5');
    await approveAs('U0BOB', runs[0]?.id ?? '');
    const done = await finished(runs[0]?.id ?? '');
    expect(done.results.map((r) => [r.step, r.outcome])).toEqual([['alert', 'succeeded'], ['approve rollback', 'denied'], ['roll back', 'skipped']]);
    const deployment = await admin().apps.readNamespacedDeployment({ name: 'fraud-detector-predictor', namespace });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('registry.local/fraud-detector:v5');
  }, 180_000);

  it('rotate-credentials-on-stuffing writes a new signing key in Vault and restarts auth so it reads it', async () => {
    const entity: Entity = { key: 'principal:203.0.113.77', kind: 'principal', name: '203.0.113.77', labels: { 'meshwarden.io/principal': 'external' } };
    const started = performance.now();
    const [run] = await raise(anomaly('auth-failure-storm', entity, Date.now(), 'ratio_401_403', 0.97, 0.02));
    const done = await finished(run?.id ?? '');
    reportTiming('rotate-credentials-on-stuffing', 'anomaly to new key written and auth restarted', Math.round(performance.now() - started));
    expect(done.results.map((r) => [r.step, r.outcome])).toEqual([['alert', 'succeeded'], ['rotate signing key', 'succeeded'], ['restart auth', 'succeeded']]);
    const secret = (await rootClient().read(`secret/data/${namespace}/auth/session`)) as { data: { data: Record<string, string>; metadata: { version: number } } };
    expect(secret.data.metadata.version).toBe(2);
    expect(secret.data.data['signing-key']).not.toBe('old-signing-key');
    expect(secret.data.data.issuer).toBe('meshwarden-test');
    const auth = await admin().apps.readNamespacedDeployment({ name: 'auth', namespace });
    expect(auth.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
  }, 180_000);

  it('recorded every step in an intact ledger', async () => {
    const result = await verifyLedger(join(stateDir, 'audit'));
    expect(result).toMatchObject({ ok: true });
    expect(result.records).toBeGreaterThanOrEqual(8);
  });
});
