/**
 * Product requirement: access-log lines that Envoy generated, delivered to Kafka by a log shipper,
 * become an anomaly, a ledger record and an action on the API server.
 *
 * The chain, with nothing simulated between its ends:
 *
 *   real Envoy (Istio's TEXT access-log format) -> its access-log lines, verbatim, in the Fluent Bit
 *   envelope naming a pod that exists on the test API server -> access-log topic -> MeshwardenService
 *   (in process, live: dryRun false, Kubernetes enabled) -> anomalies topic, audit topic + local
 *   hash-chained ledger -> NetworkPolicy isolating that pod.
 *
 * Two pods of one Deployment each get their own sidecar (one Envoy per pod, each in front of an
 * upstream on loopback that this test runs and that counts the bytes it receives). The `uploader`
 * pod sends a few normal requests and then eight 1 MiB uploads within one minute; its neighbour
 * sends normal requests only. The fixture detector (`egress-burst-e2e`, fixed levels, no warm-up)
 * flags a pod that sends more than ~4.4 MB upstream in a minute; the fixture playbook quarantines it.
 *
 * Event time is Envoy's START_TIME, i.e. the wall clock. A 1-minute window closes only when later
 * records move the watermark (the partition's third-newest event time, so that one or two outliers
 * move nothing, minus the allowed lateness, 30 s) past its end, so the burst's window W closes only
 * when three lines stamped at least W + 60 s + 30 s arrive. Nothing but
 * waiting for the wall clock can produce such a line, so the test waits for it deliberately: it
 * sends the burst at once (or, when setup ends too late in a minute for the burst to fit in one
 * window, at the next minute) and sends the next requests through the sidecars once W + 90 s has
 * passed. From the end of setup that is W + 91 s: ~51 s
 * when setup ends at second 40 of a minute, ~111 s at worst (setup ends just after second 40: wait
 * for the next minute, burst, wait 91 s). The effects follow in well under a second; every wait is
 * bounded and the test's own timeout is 180 s.
 */
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { QUARANTINE_ANNOTATIONS, QUARANTINE_ID_LABEL, QUARANTINE_LABEL, MANAGED_BY } from '../../../src/actions/kubernetes/quarantine-plan.js';
import { LEDGER_FILE, type LedgerRecord } from '../../../src/audit/ledger.js';
import { verifyLedger } from '../../../src/audit/verify-ledger.js';
import { serviceConfigSchema } from '../../../src/config/service-config.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { DEFAULT_FEATURE_OPTIONS } from '../../../src/features/feature-extractor.js';
import type { StepResult } from '../../../src/playbook/run-store.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { MeshwardenService } from '../../../src/service.js';
import { systemClock } from '../../../src/shared/clock.js';
import { createLogger } from '../../../src/shared/logger.js';
import { kafkaBrokers, randomName, withEnvoy, type EnvoyRequest, type EnvoyRun } from '../../env/backends.js';
import { waitFor } from '../../env/wait-for.js';
import { serviceTopics } from './service-topics.js';
import { admin, deleteNamespaces, deploymentManifest, newNamespace, runningPods, waitForRollout } from '../actions/kube-harness.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'envoy-e2e');
const DETECTOR = 'egress-burst-e2e';
const PLAYBOOK = 'envoy-e2e-quarantine';
const QUARANTINE = 'kubernetes.quarantine-pod';
const WORKLOAD = 'uploader';

/** The engine's windowing, read from the code so the waits below follow it. */
const WINDOW_MS = DEFAULT_FEATURE_OPTIONS.windowMs;
const LATENESS_MS = DEFAULT_FEATURE_OPTIONS.allowedLatenessMs;
/** The burst starts at most this far into a minute, so its requests (a few seconds) stay in one window. */
const LATEST_BURST_START_MS = 40_000;
const UPLOADS = 8;
const UPLOAD_BYTES = 1 << 20;

/** One pod and its sidecar's upstream, which counts the request body bytes it received. */
interface MeshPod {
  readonly pod: V1Pod;
  readonly name: string;
  upstreamBytes: number;
}

/** Upstream of a sidecar: reads the whole request body, counts it, answers 200. */
function countingUpstream(target: MeshPod): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
    req.on('end', () => {
      target.upstreamBytes += bytes;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"stored":true}');
    });
  };
}

/** Requests through the pod's own sidecar (a real Envoy); returns the lines it wrote. */
async function throughSidecar(target: MeshPod, requests: readonly EnvoyRequest[]): Promise<EnvoyRun> {
  const run = await withEnvoy(requests, { upstream: countingUpstream(target) });
  const failed = run.responses.filter((r) => r.status !== 200);
  if (failed.length > 0) throw new Error(`${target.name}'s sidecar: ${failed.length} request(s) not answered 200: ${failed.map((r) => r.status).join(', ')}`);
  return run;
}

const small = (path: string, i: number): EnvoyRequest => {
  const body = JSON.stringify({ features: Array.from({ length: 64 }, (_, k) => (k * 37 + i) % 101) });
  return { method: 'POST', path, body, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'uploader/2.3' } };
};
const upload = (i: number): EnvoyRequest => ({
  method: 'POST', path: `/v1/blobs/export-${i}`, body: 'x'.repeat(UPLOAD_BYTES),
  headers: { 'content-type': 'application/octet-stream', 'content-length': String(UPLOAD_BYTES), 'user-agent': 'uploader/2.3' },
});

/**
 * What Fluent Bit (tail input with the CRI parser, kubernetes filter, kafka output `Format json`)
 * produces for one line of the istio-proxy container's log: the line untouched in `log`, the
 * Kubernetes metadata of the pod it came from. See docs/input-formats.md, Envelopes.
 */
function fluentBitRecord(line: string, pod: V1Pod, shippedAt: number): string {
  return JSON.stringify({
    '@timestamp': shippedAt / 1000,
    time: new Date(shippedAt).toISOString(),
    stream: 'stdout',
    _p: 'F',
    log: line,
    kubernetes: {
      pod_name: pod.metadata?.name,
      namespace_name: pod.metadata?.namespace,
      pod_id: pod.metadata?.uid,
      labels: pod.metadata?.labels ?? {},
      host: pod.spec?.nodeName,
      pod_ip: pod.status?.podIP,
      container_name: 'istio-proxy',
      container_image: 'docker.io/istio/proxyv2:1.23.2',
    },
  });
}

/** Envoy's START_TIME of a line (read, not changed). */
function eventTime(line: string): number {
  const match = /^\[([^\]]+)\]/.exec(line);
  const at = match?.[1] === undefined ? Number.NaN : Date.parse(match[1]);
  if (Number.isNaN(at)) throw new Error(`not an Istio TEXT access-log line: ${line}`);
  return at;
}

/** Every message of a topic from its beginning, with when this test saw it. */
interface Tail {
  readonly seen: { readonly at: number; readonly key: string | undefined; readonly value: string }[];
  readonly joined: () => boolean;
  readonly consumer: Consumer;
}

async function tail(kafka: Kafka, topic: string): Promise<Tail> {
  const consumer = kafka.consumer({ groupId: randomName('e2e-reader') });
  const seen: Tail['seen'] = [];
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => { joined = true; });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      seen.push({ at: Date.now(), key: message.key?.toString('utf8'), value: message.value?.toString('utf8') ?? '' });
      return Promise.resolve();
    },
  });
  return { seen, joined: () => joined, consumer };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await deleteNamespaces().catch(() => undefined);
});

describe('Envoy access logs through Kafka to a quarantine on the API server', () => {
  it('turns an exfiltration-sized burst a real Envoy logged into an anomaly, a ledger record and a NetworkPolicy isolating exactly that pod', async () => {
    const started = Date.now();

    // The workload on the API server: two pods of one Deployment. The engine has its own namespace
    // (it keeps its run claims there), as when the chart installs it.
    const namespace = await newNamespace('e2e');
    const engineNamespace = await newNamespace('e2e-engine');
    const { kc: kube, core, apps, networking } = admin();
    await apps.createNamespacedDeployment({ namespace, body: deploymentManifest(WORKLOAD, 'registry.local/uploader:2.3', 2) });
    await waitForRollout(namespace, WORKLOAD);
    const pods = (await runningPods(namespace, `app=${WORKLOAD}`)).sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
    expect(pods).toHaveLength(2);
    const [exfiltrating, neighbour]: MeshPod[] = pods.map((pod) => ({ pod, name: pod.metadata?.name ?? '', upstreamBytes: 0 }));
    if (exfiltrating === undefined || neighbour === undefined) throw new Error('expected two running pods');
    const exfiltratingUid = exfiltrating.pod.metadata?.uid ?? '';

    // Kafka: the input topics (one partition, so one pipeline sees every line and one watermark).
    const prefix = randomName('e2e');
    const topics = serviceTopics(prefix);
    const kafka = new Kafka({ clientId: 'envoy-e2e', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    cleanups.push(() => kafkaAdmin.disconnect());
    await kafkaAdmin.createTopics({ waitForLeaders: true, topics: [topics.accessLogs, topics.modelTelemetry, topics.driftMetrics].map((topic) => ({ topic, numPartitions: 1 })) });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    let produced = 0;
    /** Ships each sidecar's lines in the order Envoy wrote them, as a shipper tailing its file does. */
    const ship = async (batches: readonly (readonly [MeshPod, EnvoyRun])[]): Promise<void> => {
      const shippedAt = Date.now();
      const messages = batches.flatMap(([target, run]) => run.accessLogLines.map((line) => ({ value: fluentBitRecord(line, target.pod, shippedAt) })));
      await producer.send({ topic: topics.accessLogs, acks: -1, messages });
      produced += messages.length;
    };

    // The engine, in process, live.
    const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-envoy-e2e-'));
    const logLines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({ write(chunk: Buffer, _encoding, done) { logLines.push(chunk.toString('utf8')); done(); } }),
    });
    const engineLog = (): string => logLines.slice(-30).join('');
    const config = serviceConfigSchema.parse({
      apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig',
      detectors: join(FIXTURES, 'detectors'), playbooks: join(FIXTURES, 'playbooks'), stateDir, dryRun: false,
      namespace: engineNamespace, kubernetes: { enabled: true },
      kafka: { brokers: kafkaBrokers(), clientId: 'meshwarden-envoy-e2e', groupId: `${prefix}-group`, topics },
    });
    const metrics = createMetrics();
    const service = new MeshwardenService({
      config, kafka: { clientId: config.kafka.clientId, brokers: config.kafka.brokers }, kube, actionDeps: { kube },
      clock: systemClock, logger, metrics,
    });
    let stopped = false;
    cleanups.push(async () => { if (!stopped) await service.stop(); });
    await service.start();
    await waitFor('the engine to join its consumer group', 45_000, () => logLines.some((l) => l.includes('joined the consumer group')));

    // Readers of the outputs (created by the engine on start), joined before anything can arrive.
    const anomalyTail = await tail(kafka, topics.anomalies);
    const auditTail = await tail(kafka, topics.audit);
    cleanups.push(() => anomalyTail.consumer.disconnect(), () => auditTail.consumer.disconnect());
    await waitFor('the readers of the output topics to join their groups', 45_000, () => anomalyTail.joined() && auditTail.joined());
    const setupDone = Date.now();

    // Phase 1: the burst, all within one minute of wall clock.
    const intoMinute = Date.now() % WINDOW_MS;
    if (intoMinute > LATEST_BURST_START_MS) await sleep(WINDOW_MS - intoMinute + 200);
    const burstStarted = Date.now();
    const [exfiltratingRun, neighbourRun] = await Promise.all([
      throughSidecar(exfiltrating, [small('/v1/features', 1), small('/v1/features', 2), small('/v1/features', 3), ...Array.from({ length: UPLOADS }, (_, i) => upload(i))]),
      throughSidecar(neighbour, Array.from({ length: 10 }, (_, i) => small('/v1/features', 100 + i))),
    ]);
    const burstLines = [...exfiltratingRun.accessLogLines, ...neighbourRun.accessLogLines];
    expect(burstLines).toHaveLength(UPLOADS + 3 + 10);
    const windowStarts = new Set(burstLines.map((line) => eventTime(line) - (eventTime(line) % WINDOW_MS)));
    if (windowStarts.size !== 1) {
      throw new Error(`the burst's lines span ${windowStarts.size} windows (started ${burstStarted % WINDOW_MS} ms into a minute); lines:\n${burstLines.join('\n')}`);
    }
    const windowStart = [...windowStarts][0] ?? 0;
    const exfiltrated = exfiltrating.upstreamBytes;
    expect(exfiltrated).toBeGreaterThanOrEqual(UPLOADS * UPLOAD_BYTES);
    await ship([[exfiltrating, exfiltratingRun], [neighbour, neighbourRun]]);

    // Consumed, and still nothing: the window is open until the watermark passes its end.
    const parsed = async (): Promise<number> => (await metrics.records.get()).values.filter((v) => v.labels.outcome === 'parsed').reduce((n, v) => n + v.value, 0);
    await waitFor(`the engine to parse the burst's ${produced} lines`, 30_000, async () => (await parsed()) >= produced)
      .catch((error: unknown) => { throw new Error(`${String(error)}\nengine log:\n${engineLog()}`); });
    expect(anomalyTail.seen).toEqual([]);
    expect((await networking.listNamespacedNetworkPolicy({ namespace })).items).toEqual([]);

    // Phase 2: the next requests once the wall clock has passed W + 60 s + 30 s; their three lines close W.
    const closesAt = windowStart + WINDOW_MS + LATENESS_MS + 1_000;
    const waitedMs = Math.max(0, closesAt - Date.now());
    await sleep(waitedMs);
    const [exfiltratingLater, neighbourLater] = await Promise.all([
      throughSidecar(exfiltrating, [small('/v1/features', 4), small('/v1/features', 5)]),
      throughSidecar(neighbour, [small('/v1/features', 200)]),
    ]);
    const laterLines = [...exfiltratingLater.accessLogLines, ...neighbourLater.accessLogLines];
    expect(Math.min(...laterLines.map(eventTime))).toBeGreaterThanOrEqual(windowStart + WINDOW_MS + LATENESS_MS);
    await ship([[exfiltrating, exfiltratingLater], [neighbour, neighbourLater]]);
    const lastProduced = Date.now();

    // The three effects, each timed from the last line produced.
    const entityKey = `pod:${namespace}/${exfiltrating.name}`;
    const isQuarantineStep = (r: LedgerRecord): boolean => (r.type === 'action' || r.type === 'refusal') && (r.data as Partial<StepResult>).action === QUARANTINE;
    const isQuarantineAction = (value: string): boolean => isQuarantineStep(JSON.parse(value) as LedgerRecord);
    let policySeenAt = 0;
    let policies: V1NetworkPolicy[] = [];
    const describeRecord = (r: LedgerRecord): string => {
      if (r.type !== 'action' && r.type !== 'refusal') return `${r.type} ${JSON.stringify(r.data).slice(0, 200)}`;
      const d = r.data as Partial<StepResult> & { playbook?: string };
      return `${r.type} ${d.playbook ?? '-'} ${d.action ?? '-'} on ${d.target ?? '-'}: ${d.outcome ?? '-'}: ${d.description ?? ''}`;
    };
    const context = (): string =>
      `\nanomalies on the topic: ${anomalyTail.seen.length}` +
      `\naudit records:\n  ${auditTail.seen.map((s) => describeRecord(JSON.parse(s.value) as LedgerRecord)).join('\n  ')}` +
      `\nengine log:\n${engineLog()}`;
    await Promise.all([
      waitFor(`an ${DETECTOR} anomaly for ${entityKey} on ${topics.anomalies}`, 45_000, () => anomalyTail.seen.length > 0, 50),
      waitFor(`a ${QUARANTINE} record on ${topics.audit}`, 45_000, () => auditTail.seen.some((s) => isQuarantineAction(s.value)), 50),
      waitFor(`a NetworkPolicy in ${namespace}`, 45_000, async () => {
        policies = (await networking.listNamespacedNetworkPolicy({ namespace })).items;
        if (policies.length > 0 && policySeenAt === 0) policySeenAt = Date.now();
        return policies.length > 0;
      }, 100),
    ]).catch((error: unknown) => { throw new Error(`${String(error)}${context()}`); });
    const anomalySeenAt = anomalyTail.seen[0]?.at ?? 0;
    const actionSeenAt = auditTail.seen.find((s) => isQuarantineAction(s.value))?.at ?? 0;
    console.info(
      `timing: envoy-kafka-e2e last line produced -> anomaly on topic ${anomalySeenAt - lastProduced} ms -> ` +
        `quarantine on audit topic ${actionSeenAt - lastProduced} ms -> NetworkPolicy seen ${policySeenAt - lastProduced} ms ` +
        `(setup ${setupDone - started} ms, burst at ${burstStarted % WINDOW_MS} ms into its minute, waited ${waitedMs} ms for the watermark, ` +
        `${produced} lines, total ${Date.now() - started} ms)`,
    );

    // The anomaly: the right detector, the right pod, the burst's window, the bytes the upstream got.
    await sleep(1_000); // anything else the closing of W produced is on the topics by now
    const anomalies = anomalyTail.seen.map((s) => JSON.parse(s.value) as Anomaly);
    expect(anomalies.map((a) => `${a.detector} ${a.entity.key}`)).toEqual([`${DETECTOR} ${entityKey}`]);
    const [anomaly] = anomalies;
    if (anomaly === undefined) throw new Error('no anomaly');
    expect(anomalyTail.seen[0]?.key).toBe(entityKey);
    expect(anomaly).toMatchObject({ severity: 'critical', windowStart, windowEnd: windowStart + WINDOW_MS, entity: { kind: 'pod', namespace, pod: exfiltrating.name, workload: WORKLOAD } });
    expect(anomaly.score).toBeGreaterThanOrEqual(0.95);
    // Envoy's BYTES_RECEIVED of the pod's outbound lines, summed: exactly what its upstream received.
    expect(anomaly.evidence).toEqual([expect.objectContaining({ feature: 'egress_bytes', observed: exfiltrated })]);

    // The ledger record of the action, mirrored to the audit topic.
    const audit = auditTail.seen.map((s) => JSON.parse(s.value) as LedgerRecord);
    expect(audit.filter((r) => r.type === 'anomaly').map((r) => (r.data as Anomaly).id)).toEqual([anomaly.id]);
    const steps = audit.filter(isQuarantineStep);
    expect(steps.map((r) => ({ type: r.type, ...(r.data as object) }))).toEqual([
      expect.objectContaining({ type: 'action', playbook: PLAYBOOK, action: QUARANTINE, target: `Pod ${namespace}/${exfiltrating.name}`, outcome: 'succeeded', anomalyId: anomaly.id }),
    ]);

    // The effect on the API server: one deny-all policy selecting exactly that pod, by its UID.
    expect(policies).toHaveLength(1);
    const [policy] = policies;
    expect(policy?.metadata?.labels).toMatchObject({ [MANAGED_BY.label]: MANAGED_BY.value, [QUARANTINE_LABEL]: 'true' });
    expect(policy?.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.podUid]).toBe(exfiltratingUid);
    expect(policy?.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.idempotencyKey]).toMatch(new RegExp(`^${PLAYBOOK}/`));
    expect(policy?.spec?.podSelector?.matchLabels).toEqual({ [QUARANTINE_LABEL]: 'true', [QUARANTINE_ID_LABEL]: exfiltratingUid });
    expect(policy?.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy?.spec?.ingress ?? []).toEqual([]);
    expect(policy?.spec?.egress ?? []).toEqual([]);
    const selector = Object.entries(policy?.spec?.podSelector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const isolated = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items.map((p) => p.metadata?.name);
    expect(isolated).toEqual([exfiltrating.name]);
    const neighbourNow = await core.readNamespacedPod({ namespace, name: neighbour.name });
    expect(neighbourNow.metadata?.labels?.[QUARANTINE_LABEL]).toBeUndefined();

    // Nothing dead-lettered: every line Envoy wrote parsed.
    expect(await parsed()).toBe(produced);
    expect((await metrics.deadLetters.get()).values.reduce((n, v) => n + v.value, 0)).toBe(0);
    const dlq = await kafkaAdmin.fetchTopicOffsets(topics.deadLetters);
    expect(dlq.filter((p) => p.high !== '0')).toEqual([]);

    // Graceful stop flushes the ledger; its chain verifies and the audit topic mirrors it record for record.
    stopped = true;
    await service.stop();
    const verified = await verifyLedger(join(stateDir, 'audit'));
    expect(verified).toMatchObject({ ok: true });
    const local = (await readFile(join(stateDir, 'audit', LEDGER_FILE), 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LedgerRecord);
    const localBySeq = new Map(local.map((r) => [r.seq, r]));
    for (const mirrored of audit) expect(localBySeq.get(mirrored.seq)).toEqual(mirrored);
    expect(local.filter(isQuarantineStep).map((r) => r.hash)).toEqual(steps.map((r) => r.hash));
  }, 180_000);
});
