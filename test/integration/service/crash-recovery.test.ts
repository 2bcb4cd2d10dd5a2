/**
 * Issue 6: kill -9 the engine mid-stream, restart it, twenty times, with a producer running; no
 * anomaly may be lost and no destructive action may take effect twice.
 *
 * The engine runs as a real child process (`node bin/meshwarden.js serve`) against the test broker
 * and the test API server (kwok). Six pods, each in its own namespace, send a burst of data upstream
 * at a known minute; a live playbook quarantines each of them. The other pods stay normal.
 *
 * Every generation rejoins the same consumer group, as a restarted pod would. The engine's
 * session timeout is set to the broker's minimum (6 s), so a killed member's partitions are
 * handed on after 6 s instead of kafkajs' default 30 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationV1Api, CoreV1Api, NetworkingV1Api, type V1Namespace, type V1Pod } from '@kubernetes/client-node';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { QUARANTINE_ANNOTATIONS, QUARANTINE_ID_LABEL } from '../../../src/actions/kubernetes/quarantine-plan.js';
import { CLAIM_KEY_ANNOTATION } from '../../../src/coordination/kube-lease-claims.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import type { PlaybookRun, StepResult } from '../../../src/playbook/run-store.js';
import { kafkaBrokers, randomName, testEnv } from '../../env/backends.js';
import { fakeNodeName, kubeConfigFor } from '../../env/kube-backend.js';
import { kubeConfigFile } from '../../env/kube-config-file.js';
import { kubeObject } from '../../env/kube-object.js';
import { ADMIN_USER } from '../../env/kube-users.js';
import { waitFor } from '../../env/wait-for.js';
import { readToEnd, serviceTopics } from './service-topics.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'crash-recovery');
const DETECTOR = 'egress-spike-fast';
const PLAYBOOK = 'crash-quarantine';
const QUARANTINE = 'kubernetes.quarantine-pod';

const KILLS = 20;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const MIN = 60_000;
/** Event-time minutes in the stream; windows up to the last minute but one close. */
const MINUTES = 40;
const LINES_PER_POD_MINUTE = 30;
const INCIDENTS = 6;
const NORMAL_PODS_PER_NAMESPACE = 5;
const SPIKE_MINUTE = (i: number): number => 15 + 3 * i;

/** Deterministic pseudo-random numbers in [0, 1), so every run streams the same data. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

interface StreamPod {
  readonly namespace: string;
  readonly pod: string;
  readonly app: string;
  /** Minute of its egress burst, if it has one. */
  readonly spikeMinute?: number;
}

/** A Fluent Bit message carrying an outbound Istio TEXT line: the pod sent `bytes` upstream. */
function outboundLine(p: StreamPod, at: number, bytes: number, i: number): string {
  const ts = new Date(at).toISOString();
  const text = `[${ts}] "POST /v1/upload HTTP/1.1" 200 - via_upstream - "-" ${bytes} 135 4 4 "-" "loader/1.0" "req-${i}" "store:8000" "10.44.1.27:8000" outbound|8000||store.data.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default`;
  return JSON.stringify({ '@timestamp': at / 1000, log: text, kubernetes: { namespace_name: p.namespace, pod_name: p.pod, container_name: 'istio-proxy', labels: { app: p.app } } });
}

/** One event-time minute of every pod's outbound traffic, in event-time order, keyed by pod. */
function minuteOfTraffic(pods: readonly StreamPod[], minute: number, random: () => number): { key: string; value: string }[] {
  const out: { key: string; value: string; at: number }[] = [];
  pods.forEach((p, podIndex) => {
    for (let r = 0; r < LINES_PER_POD_MINUTE; r++) {
      const at = T0 + minute * MIN + Math.floor((r + random() * 0.9) * (MIN / LINES_PER_POD_MINUTE));
      const base = 30_000 + Math.floor(random() * 10_000);
      const bytes = p.spikeMinute === minute ? base * 40 : base;
      out.push({ key: p.pod, value: outboundLine(p, at, bytes, (minute * pods.length + podIndex) * LINES_PER_POD_MINUTE + r), at });
    }
  });
  return out.sort((a, b) => a.at - b.at).map(({ key, value }) => ({ key, value }));
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => { resolvePort(port); });
    });
  });
}

/** The engine as a child process; `joined` resolves when it logs that it joined its group. */
interface Engine {
  readonly child: ChildProcess;
  readonly joined: Promise<void>;
  readonly exited: Promise<number | null>;
  stderr: string;
}

function startEngine(configPath: string, kubeconfig: string): Engine {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig };
  delete env.KUBERNETES_SERVICE_HOST;
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'meshwarden.js'), 'serve', '--config', configPath], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const engine: Engine = {
    child,
    stderr: '',
    joined: new Promise<void>((resolveJoined) => {
      child.stderr.on('data', (chunk: Buffer) => {
        engine.stderr = (engine.stderr + chunk.toString('utf8')).slice(-20_000);
        if (engine.stderr.includes('joined the consumer group')) resolveJoined();
      });
    }),
    exited: new Promise((resolveExit) => { child.once('exit', (code) => { resolveExit(code); }); }),
  };
  return engine;
}

const anomalyKey = (detector: string, entity: string, windowStart: number): string => `${detector} ${entity} ${new Date(windowStart).toISOString()}`;

const engines: Engine[] = [];
const namespaces: string[] = [];
afterAll(async () => {
  for (const engine of engines) if (engine.child.exitCode === null && engine.child.signalCode === null) engine.child.kill('SIGKILL');
  const core = kubeConfigFor('admin').makeApiClient(CoreV1Api);
  for (const name of namespaces.splice(0)) await core.deleteNamespace({ name }).catch(() => undefined);
});

describe('the engine killed with SIGKILL mid-stream and restarted twenty times', () => {
  it('still publishes every expected anomaly and quarantines each target pod exactly once', async () => {
    const started = Date.now();
    const kube = testEnv().kubernetes;
    if (kube === undefined) throw new Error('the kubernetes test backend is required');
    const prefix = randomName('crash');
    const work = mkdtempSync(join(tmpdir(), 'meshwarden-crash-'));
    const stateDir = join(work, 'state');
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(kubeconfig, kubeConfigFile({ server: kube.server, caData: kube.caData, user: ADMIN_USER, token: kube.adminToken }));
    const topics = serviceTopics(prefix);

    // The pods: per namespace one that bursts (and exists on the API server) and five that do not.
    const admin = kubeConfigFor('admin');
    const core = admin.makeApiClient(CoreV1Api);
    const networking = admin.makeApiClient(NetworkingV1Api);
    // The engine's own namespace: its run claims (Leases) live there.
    const engineNamespace = randomName('crash-engine');
    await core.createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name: engineNamespace } }) });
    namespaces.push(engineNamespace);
    const pods: StreamPod[] = [];
    const targets: StreamPod[] = [];
    for (let i = 0; i < INCIDENTS; i++) {
      const namespace = randomName('crash');
      await core.createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name: namespace } }) });
      namespaces.push(namespace);
      const target: StreamPod = { namespace, pod: `loader-${i}-5f7d8c9b6-q${i}x2k`, app: `loader-${i}`, spikeMinute: SPIKE_MINUTE(i) };
      await core.createNamespacedPod({
        namespace,
        body: kubeObject<V1Pod>({
          metadata: { name: target.pod, labels: { app: target.app } },
          spec: { nodeName: fakeNodeName(), containers: [{ name: 'loader', image: 'registry.example/loader:1.0' }] },
        }),
      });
      targets.push(target);
      pods.push(target);
      for (let j = 0; j < NORMAL_PODS_PER_NAMESPACE; j++) pods.push({ namespace, pod: `worker-${j}-6c8d9f7b5-w${j}z${i}m`, app: `worker-${j}` });
    }

    const kafka = new Kafka({ clientId: 'crash-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: topics.accessLogs, numPartitions: 3 }, { topic: topics.modelTelemetry }, { topic: topics.driftMetrics }],
    });

    const configFor = (generation: number): string => {
      const path = join(work, `config-${generation}.json`);
      writeFileSync(path, JSON.stringify({
        apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig',
        detectors: join(FIXTURES, 'detectors'), playbooks: join(FIXTURES, 'playbooks'), stateDir, dryRun: false,
        kubernetes: { enabled: true }, namespace: engineNamespace, logLevel: 'info',
        kafka: { brokers: kafkaBrokers(), clientId: 'meshwarden-crash', groupId: `${prefix}-group`, checkpointEvery: '0s', sessionTimeout: '6s', heartbeatInterval: '1s', topics },
        http: { host: '127.0.0.1', port: httpPort },
      }));
      return path;
    };
    const httpPort = await freePort();

    // The producer streams event-time minutes while the engine is being killed.
    const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const random = lcg(42);
    let produced = 0;
    const production = (async () => {
      for (let minute = 0; minute < MINUTES; minute++) {
        const messages = minuteOfTraffic(pods, minute, random);
        await producer.send({ topic: topics.accessLogs, acks: -1, messages });
        produced += messages.length;
        await sleep(2_000);
      }
    })();

    const chaos = lcg(Date.now());
    let kills = 0;
    let restarts = 0;
    let killedBeforeJoin = 0;
    for (let generation = 0; generation < KILLS; generation++) {
      if (generation > 0) restarts++;
      const engine = startEngine(configFor(generation), kubeconfig);
      engines.push(engine);
      // Every fifth generation dies during start-up (loading checkpoints, resuming runs, joining);
      // the others 0.5 to 4 s after joining the group, while they consume and act.
      if (generation % 5 === 4) await sleep(300 + Math.floor(chaos() * 2_000));
      else {
        await Promise.race([engine.joined, engine.exited, sleep(45_000)]);
        if (!engine.stderr.includes('joined the consumer group')) throw new Error(`generation ${generation} did not join its group within 45 s:\n${engine.stderr}`);
        await sleep(500 + Math.floor(chaos() * 3_500));
      }
      if (!engine.stderr.includes('joined the consumer group')) killedBeforeJoin++;
      if (engine.child.exitCode !== null) throw new Error(`the engine exited on its own (code ${engine.child.exitCode}):\n${engine.stderr}`);
      engine.child.kill('SIGKILL');
      await engine.exited;
      kills++;
    }
    await production;
    await producer.disconnect();
    expect(produced).toBe(MINUTES * pods.length * LINES_PER_POD_MINUTE);

    // The last restart runs to the end of the stream.
    restarts++;
    const last = startEngine(configFor(KILLS), kubeconfig);
    engines.push(last);

    const expected = new Map(targets.map((t) => [anomalyKey(DETECTOR, `pod:${t.namespace}/${t.pod}`, T0 + (t.spikeMinute ?? 0) * MIN), t]));
    let anomalyValues: string[] = [];
    await waitFor('every expected anomaly on the anomalies topic', 90_000, async () => {
      anomalyValues = await readToEnd(kafka, topics.anomalies);
      const seen = new Set(anomalyValues.map((v) => { const a = JSON.parse(v) as Anomaly; return anomalyKey(a.detector, a.entity.key, a.windowStart); }));
      return [...expected.keys()].every((k) => seen.has(k));
    }, 2_000).catch((error: unknown) => { throw new Error(`${String(error)}\nlast engine's log:\n${last.stderr.slice(-4_000)}`); });
    const runsDir = join(stateDir, 'runs');
    const readRuns = (): PlaybookRun[] => readdirSync(runsDir).filter((n) => n.endsWith('.json')).map((n) => JSON.parse(readFileSync(join(runsDir, n), 'utf8')) as PlaybookRun);
    await waitFor('every playbook run to finish', 60_000, () => {
      const runs = readRuns();
      return runs.length >= INCIDENTS && runs.every((r) => r.state === 'done' || r.state === 'aborted');
    }, 1_000);

    await kafkaAdmin.disconnect();

    // Graceful stop: outputs, checkpoints and the ledger are flushed.
    last.child.kill('SIGTERM');
    const code = await Promise.race([last.exited, sleep(30_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') throw new Error(`the engine did not stop within 30 s of SIGTERM:\n${last.stderr}`);

    // No anomaly lost: every (detector, entity, window) expected reached the topic at least once.
    anomalyValues = await readToEnd(kafka, topics.anomalies);
    const anomalies = anomalyValues.map((v) => JSON.parse(v) as Anomaly);
    const counts = new Map<string, number>();
    for (const a of anomalies) {
      const key = anomalyKey(a.detector, a.entity.key, a.windowStart);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const lost = [...expected.keys()].filter((k) => !counts.has(k));
    const unexpected = [...counts.keys()].filter((k) => !expected.has(k));
    const duplicates = anomalies.length - counts.size;

    // No destructive action twice: per target, the audit trail shows at most one quarantine that
    // took effect (`succeeded`) and otherwise `already-done` (or a refusal by the rails).
    const audit = (await readToEnd(kafka, topics.audit)).map((v) => JSON.parse(v) as { type: string; data: Partial<StepResult> & { playbook?: string } });
    const steps = audit.filter((r) => (r.type === 'action' || r.type === 'refusal') && r.data.action === QUARANTINE);
    const outcomes = new Map<string, Map<string, number>>();
    for (const { data } of steps) {
      const target = data.target ?? '-';
      const byOutcome = outcomes.get(target) ?? new Map<string, number>();
      byOutcome.set(data.outcome ?? '-', (byOutcome.get(data.outcome ?? '-') ?? 0) + 1);
      outcomes.set(target, byOutcome);
    }

    console.log(
      `crash test: ${kills} kills (${killedBeforeJoin} during start-up), ${restarts} restarts, ${produced} messages produced; ` +
        `anomalies expected ${expected.size}, seen ${[...expected.keys()].filter((k) => counts.has(k)).length}, lost ${lost.length}, ` +
        `other ${unexpected.length}, on the topic ${anomalies.length} (${duplicates} duplicates); quarantine steps per pod: ` +
        [...outcomes].map(([t, o]) => `${t} ${[...o].map(([k, n]) => `${k}=${n}`).join(',')}`).join('; ') +
        `; ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );

    expect(kills).toBe(KILLS);
    expect(restarts).toBe(KILLS);
    expect(lost).toEqual([]);
    for (const t of targets) {
      const byOutcome = outcomes.get(`Pod ${t.namespace}/${t.pod}`) ?? new Map<string, number>();
      expect(byOutcome.get('succeeded') ?? 0, `${t.pod}: quarantines that took effect`).toBeLessThanOrEqual(1);
      expect([...byOutcome.values()].reduce((a, b) => a + b, 0), `${t.pod}: quarantine steps recorded`).toBeGreaterThanOrEqual(1);
      expect([...byOutcome.keys()].filter((o) => !['succeeded', 'already-done', 'refused'].includes(o)), `${t.pod}: other outcomes`).toEqual([]);

      // The effect itself, on the API server: quarantined by this playbook's step, one policy.
      const pod = await core.readNamespacedPod({ namespace: t.namespace, name: t.pod });
      const annotations = pod.metadata?.annotations ?? {};
      expect(annotations[QUARANTINE_ANNOTATIONS.idempotencyKey]).toMatch(new RegExp(`^${PLAYBOOK}/[0-9a-f]+/0$`));
      const policies = await networking.listNamespacedNetworkPolicy({ namespace: t.namespace });
      const isolating = policies.items.filter((p) => p.spec?.podSelector?.matchLabels?.[QUARANTINE_ID_LABEL] === pod.metadata?.uid);
      expect(isolating).toHaveLength(1);
      expect(policies.items).toHaveLength(1);
    }

    // The run store: one run per incident, finished, its quarantine step recorded once (a replayed
    // run that the rails refused, since the pod already counts against its workload's budget, ends
    // aborted; it did not act).
    const runs = readRuns();
    expect(runs).toHaveLength(INCIDENTS);
    for (const run of runs) {
      expect(run.state).toMatch(/^(done|aborted)$/);
      expect(run.results.filter((r) => r.action === QUARANTINE).map((r) => r.outcome)).toEqual([expect.stringMatching(/^(succeeded|already-done|refused)$/)]);
    }
    // Each run claimed its playbook and pod once, and every restart found its own claim; its step
    // booked one slot per rate limit (target, namespace, global), claimed its target's cooldown, and
    // its pod one blast-radius slot per group (workload, namespace), however often it was replayed.
    const leases = await admin.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: engineNamespace });
    const held = leases.items.map((l) => [l.metadata?.annotations?.[CLAIM_KEY_ANNOTATION] ?? '', l.spec?.holderIdentity ?? ''] as const);
    expect(held.filter(([key]) => key.startsWith(`${PLAYBOOK}|`)).map(([, holder]) => holder).sort()).toEqual(runs.map((r) => r.id).sort());
    for (const run of runs) expect(held.filter(([key, holder]) => key.startsWith('rate|') && holder === `${run.id}/0`)).toHaveLength(3);
    for (const run of runs) expect(held.filter(([key, holder]) => key.startsWith(`cooldown|${QUARANTINE}|`) && holder === `${run.id}/0`)).toHaveLength(1);
    for (const t of targets) expect(held.filter(([key]) => key === `cooldown|${QUARANTINE}|Pod/${t.namespace}/${t.pod}`)).toHaveLength(1);
    for (const t of targets) expect(held.filter(([key, holder]) => key.startsWith('blast|') && holder === `pod|${t.namespace}/${t.pod}`)).toHaveLength(2);
    expect(held).toHaveLength(runs.length * 5 + targets.length * 2);
  }, 420_000);
});
