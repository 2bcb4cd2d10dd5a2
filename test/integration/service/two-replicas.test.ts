/**
 * Issue 6: two replicas, each incident acted on once.
 *
 * Two engines share one consumer group. A model's telemetry and its drift reports travel on two
 * topics whose partitions the group gives to different replicas (checked, not assumed), so both
 * replicas detect trouble on the same model at the same time, each opening its own incident. The
 * playbook rolls the model's Deployment back; rolling back twice would put the bad version back.
 * With run claims exactly one replica acts and the other stands down; with claims switched off
 * both act, which is what the claims are for (the second case keeps the first one honest).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppsV1Api } from '@kubernetes/client-node';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { FileIncidentThreadStore } from '../../../src/actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../../../src/actions/slack/incident-threads.js';
import { ApprovalService } from '../../../src/approvals/approval-service.js';
import { FileApprovalStore } from '../../../src/approvals/approval-store.js';
import { APPROVE_ACTION_ID } from '../../../src/approvals/interaction-payload.js';
import { serviceConfigSchema } from '../../../src/config/service-config.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import type { PlaybookRun } from '../../../src/playbook/run-store.js';
import { createMetrics, type EngineMetrics } from '../../../src/server/metrics.js';
import { MeshwardenService } from '../../../src/service.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { Secret } from '../../../src/shared/secret.js';
import { deleteNamespaces, deploymentManifest, newNamespace, setImage, waitForRollout } from '../actions/kube-harness.js';
import { kafkaBrokers, randomName } from '../../env/backends.js';
import { kubeConfigFor } from '../../env/kube-backend.js';
import { startSlackTestServer, type SlackTestServer } from '../../env/slack-server.js';
import { waitFor } from '../../env/wait-for.js';
import { readToEnd, serviceTopics } from './service-topics.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures', 'two-replicas');
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const MIN = 60_000;
const GOOD = 'registry.example/fraud-server:1.0';
const BAD = 'registry.example/fraud-server:2.0';

const services: MeshwardenService[] = [];
afterAll(async () => {
  for (const s of services.splice(0)) await s.stop().catch(() => undefined);
  await deleteNamespaces();
});

interface Outcome {
  /** Per replica, its runs (read from its own state directory). */
  readonly runs: PlaybookRun[][];
  /** Rollback steps that took effect, over both replicas' audit records. */
  readonly rollbacks: number;
  readonly standDowns: number;
  readonly image: string | undefined;
  readonly anomalies: Anomaly[];
  /** Rollbacks timed by `meshwarden_anomaly_to_action_seconds`, over both replicas. */
  readonly timedRollbacks: number;
}

/**
 * A model Deployment (revision 2, the bad one, serving), fresh topics, and two replicas in one
 * group whose telemetry and drift partitions are on different replicas (checked).
 */
async function replicas(options: { claims: 'auto' | 'none'; playbooks: string; slack?: SlackTestServer }) {
  const { claims } = options;
  const prefix = randomName('two');
  const engineNamespace = await newNamespace('two-engine');
  const modelNamespace = await newNamespace('two-ml');
  const admin = kubeConfigFor('admin');
  const apps = admin.makeApiClient(AppsV1Api);
  // Revision 1 is good, revision 2 (running) is the bad one a rollback must leave.
  await apps.createNamespacedDeployment({ namespace: modelNamespace, body: deploymentManifest('fraud-predictor', GOOD, 1) });
  await waitForRollout(modelNamespace, 'fraud-predictor');
  await setImage(modelNamespace, 'fraud-predictor', BAD);

  const topics = serviceTopics(prefix);
  const kafka = new Kafka({ clientId: 'two-replicas-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  await kafkaAdmin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.accessLogs }, { topic: topics.modelTelemetry }, { topic: topics.driftMetrics }] });

  const groupId = `${prefix}-group`;
  const stateDirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'meshwarden-replica-')));
  const bindingSecret = new Secret(`binding-${prefix}`);
  const approvals: ApprovalService[] = [];
  const metrics: EngineMetrics[] = [];
  const replicas = await Promise.all(stateDirs.map(async (stateDir) => {
    const config = serviceConfigSchema.parse({
      apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig', detectors: join(FIXTURES, 'detectors'), playbooks: join(FIXTURES, options.playbooks),
      stateDir, dryRun: false, namespace: engineNamespace, kubernetes: { enabled: true }, coordination: { claims },
      kafka: { brokers: kafkaBrokers(), groupId, checkpointEvery: '0s', sessionTimeout: '6s', heartbeatInterval: '1s', topics },
    });
    const logger = silentLogger();
    const replicaMetrics = createMetrics();
    metrics.push(replicaMetrics);
    let slackDeps = {};
    if (options.slack) {
      // As `serve` wires Slack: the Web API client, threads and approvals in the replica's state dir.
      const slack = new WebClient(BOT_TOKEN, { slackApiUrl: options.slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
      const threads = new SlackIncidentThreads({ slack, store: new FileIncidentThreadStore(stateDir, logger), logger });
      const service = await ApprovalService.open({
        slack, threads, store: new FileApprovalStore(stateDir), bindingSecret, signingSecret: new Secret(SIGNING_SECRET), clock: systemClock, logger,
      });
      approvals.push(service);
      slackDeps = { approvals: service, slack, threads };
    }
    const { approvals: approvalService, slack, threads } = slackDeps as { approvals?: ApprovalService; slack?: WebClient; threads?: SlackIncidentThreads };
    const service = new MeshwardenService({
      config, kafka: { clientId: 'meshwarden-replica', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING },
      kube: admin, actionDeps: { kube: admin, ...(slack && threads ? { slack, slackThreads: threads } : {}) },
      ...(approvalService ? { approvals: approvalService } : {}),
      clock: systemClock, logger, metrics: replicaMetrics,
    });
    services.push(service);
    return service;
  }));
  await Promise.all(replicas.map((r) => r.start()));

  // Both members in a stable group, the model's telemetry and drift partitions on different ones.
  let owners: Record<string, number[]>[] = [];
  await waitFor('two replicas with a stable assignment', 60_000, async () => {
    const { groups } = await kafkaAdmin.describeGroups([groupId]);
    const group = groups[0];
    if (group?.state !== 'Stable' || group.members.length !== 2) return false;
    owners = group.members.map((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {});
    return true;
  }, 500);
  const owner = (topic: string): number => owners.findIndex((a) => (a[topic] ?? []).includes(0));
  expect(owner(topics.modelTelemetry), `telemetry and drift on different replicas: ${JSON.stringify(owners)}`).not.toBe(owner(topics.driftMetrics));
  expect(owner(topics.modelTelemetry)).toBeGreaterThanOrEqual(0);
  expect(owner(topics.driftMetrics)).toBeGreaterThanOrEqual(0);

  return { replicas, approvals, metrics, stateDirs, topics, kafka, kafkaAdmin, modelNamespace, apps };
}

const model = (namespace: string) => ({ name: 'fraud', version: 'v7', namespace });
/** A model_telemetry.v1 interval record with the given p95 latency. */
const telemetry = (namespace: string, at: number, p95: number): string => JSON.stringify({
  schema: 'model_telemetry.v1', ts: new Date(at).toISOString(), kind: 'interval', window_s: 60, model: model(namespace),
  counts: { requests: 600, success: 600, failure: 0 }, latency_ms: { p95 },
});
/** A drift_metric.v1 PSI report. */
const drift = (namespace: string, at: number, psi: number): string => JSON.stringify({
  schema: 'drift_metric.v1', ts: new Date(at).toISOString(), model: model(namespace), tool: 'evidently', feature: 'amount', method: 'psi',
  statistic: psi, threshold: 0.2, threshold_kind: 'distance_above', drift_detected: psi > 0.2,
});

/** Three quiet records a second apart from `at`: enough to move a partition's watermark (its third-newest time) there. */
const closing = (record: (at: number) => string, at: number): { value: string }[] => [0, 1, 2].map((i) => ({ value: record(at + i * 1_000) }));

function readRuns(dir: string): PlaybookRun[] {
  try {
    return readdirSync(join(dir, 'runs')).filter((n) => n.endsWith('.json')).map((n) => JSON.parse(readFileSync(join(dir, 'runs', n), 'utf8')) as PlaybookRun);
  } catch {
    return [];
  }
}

async function stopAll(): Promise<void> {
  for (const r of services.splice(0)) await r.stop();
}

/** Two replicas, a model in trouble on both topics; returns what they did. */
async function scenario(claims: 'auto' | 'none'): Promise<Outcome> {
  const { metrics, stateDirs, topics, kafka, kafkaAdmin, modelNamespace, apps } = await replicas({ claims, playbooks: 'playbooks' });
  // Latency trouble in minute 0, drift reported in minute 3 (drift monitors report less often):
  // two windows, so two incidents with their own ids. (Anomalies of one window on one entity share
  // an incident id, and with it the run's idempotency keys, whichever replica sees them.) Records
  // two minutes later close each window (30 s lateness): three of them, because a partition's
  // watermark is its third-newest event time, which one or two outliers cannot move.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.sendBatch({
    acks: -1,
    topicMessages: [
      { topic: topics.modelTelemetry, messages: [{ value: telemetry(modelNamespace, T0 + 30_000, 450) }, ...closing((at) => telemetry(modelNamespace, at, 40), T0 + 2 * MIN)] },
      { topic: topics.driftMetrics, messages: [{ value: drift(modelNamespace, T0 + 3 * MIN + 30_000, 0.4) }, ...closing((at) => drift(modelNamespace, at, 0.02), T0 + 5 * MIN)] },
    ],
  });
  await producer.disconnect();

  await waitFor('a finished run on each replica', 60_000, () => {
    const runs = stateDirs.map(readRuns);
    return runs.every((r) => r.length === 1 && r.every((run) => run.state === 'done' || run.state === 'aborted'));
  }, 250);
  await stopAll();

  const anomalies = (await readToEnd(kafka, topics.anomalies)).map((v) => JSON.parse(v) as Anomaly);
  const audit = (await readToEnd(kafka, topics.audit)).map((v) => JSON.parse(v) as { type: string; data: { action?: string; outcome?: string; event?: string } });
  await kafkaAdmin.disconnect();
  const deployment = await apps.readNamespacedDeployment({ namespace: modelNamespace, name: 'fraud-predictor' });
  return {
    runs: stateDirs.map(readRuns),
    rollbacks: audit.filter((r) => r.type === 'action' && r.data.action === 'kubernetes.rollback-deployment' && r.data.outcome === 'succeeded').length,
    standDowns: audit.filter((r) => r.type === 'decision' && r.data.event === 'claimed-elsewhere').length,
    image: deployment.spec?.template.spec?.containers[0]?.image,
    anomalies,
    timedRollbacks: (await Promise.all(metrics.map((m) => m.anomalyToActionSeconds.get()))).flatMap((h) => h.values)
      .filter((v) => v.metricName === 'meshwarden_anomaly_to_action_seconds_count' && v.labels.action === 'kubernetes.rollback-deployment').reduce((n, v) => n + v.value, 0),
  };
}

const BOT_TOKEN = 'xoxb-two-replicas';
const SIGNING_SECRET = 'two-replicas-signing-secret';

describe('two replicas in one consumer group', () => {
  it('act once on a model whose telemetry and drift both flag it on different replicas: one rollback, one stand-down', async () => {
    const outcome = await scenario('auto');
    // Both replicas detected the trouble, each on its own topic, on the same entity.
    expect(outcome.anomalies.map((a) => [a.detector, a.entity.key.replace(/model:[^/]+/, 'model:ns')]).sort()).toEqual([
      ['drift-ceiling', 'model:ns/fraud@v7'], ['model-latency-ceiling', 'model:ns/fraud@v7'],
    ]);
    const [a = [], b = []] = outcome.runs;
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0]?.incidentId).not.toBe(b[0]?.incidentId);
    const acted = [...a, ...b].filter((run) => run.results.some((r) => r.outcome === 'succeeded'));
    const stoodDown = [...a, ...b].filter((run) => run.results.every((r) => r.outcome === 'skipped'));
    expect(acted).toHaveLength(1);
    expect(stoodDown).toHaveLength(1);
    expect(stoodDown[0]?.results[0]?.description).toContain(`not run: run ${acted[0]?.id} acts on `);
    expect(outcome.rollbacks).toBe(1);
    expect(outcome.timedRollbacks).toBe(1);
    expect(outcome.standDowns).toBe(1);
    expect(outcome.image).toBe(GOOD);
  }, 180_000);

  it('without claims, both replicas roll the model back (what the claims prevent)', async () => {
    const outcome = await scenario('none');
    expect(outcome.runs.map((runs) => runs.length)).toEqual([1, 1]);
    // Both runs sent their rollback to the API server (how the two landed varies with timing:
    // both succeed, or one finds the other's change first).
    for (const [run] of outcome.runs) expect(run?.results.map((r) => r.outcome)).not.toEqual(['skipped']);
    expect(outcome.rollbacks).toBeGreaterThanOrEqual(1);
    expect(outcome.standDowns).toBe(0);
  }, 180_000);

  it('apply an approval click that Slack delivered to the replica which does not hold the approval', async () => {
    const slackServer = await startSlackTestServer({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, channels: { 'ml-oncall': 'C0MLONCALL' } });
    try {
      const { approvals, stateDirs, topics, kafka, kafkaAdmin, modelNamespace, apps } = await replicas({ claims: 'auto', playbooks: 'playbooks-approval', slack: slackServer });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      await producer.send({ topic: topics.modelTelemetry, acks: -1, messages: [{ value: telemetry(modelNamespace, T0 + 30_000, 450) }, ...closing((at) => telemetry(modelNamespace, at, 40), T0 + 2 * MIN)] });
      await producer.disconnect();
      await kafkaAdmin.disconnect();

      // The replica that consumes telemetry asks; the click goes to the other one.
      let holder = -1;
      await waitFor('the approval request in Slack', 60_000, () => {
        holder = approvals.findIndex((a) => a.list().some((r) => r.message !== undefined));
        return Promise.resolve(holder >= 0);
      }, 250);
      const record = approvals[holder]?.list()[0];
      const other = approvals[1 - holder];
      if (!record?.message || !other) throw new Error('no approval or no second replica');
      expect(other.list()).toEqual([]);
      const signed = slackServer.signInteraction(slackServer.clickPayload({ user: 'U0BOB', channel: record.message.channel, ts: record.message.ts, actionId: APPROVE_ACTION_ID }));
      expect(await other.handleInteraction(signed.headers, signed.body)).toEqual({ type: 'forwarded', approvalId: record.id });

      const holderDir = stateDirs[holder] ?? '';
      await waitFor('the approved run to finish', 60_000, () => Promise.resolve(readRuns(holderDir).some((r) => r.state === 'done' || r.state === 'aborted')), 250);
      const [run] = readRuns(holderDir);
      expect(run?.results.map((r) => [r.step, r.outcome])).toEqual([['approve rollback', 'approved'], ['roll back', 'succeeded']]);
      expect(approvals[holder]?.get(record.id)?.decision).toMatchObject({ outcome: 'approved', by: ['U0BOB'] });
      const deployment = await apps.readNamespacedDeployment({ namespace: modelNamespace, name: 'fraud-predictor' });
      expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(GOOD);
      await stopAll();
    } finally {
      await slackServer.close();
    }
  }, 180_000);
});
