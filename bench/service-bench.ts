/**
 * The cluster-service figures of `npm run bench`, each against a baseline measured in the same run:
 *
 *   kafka        messages/s through MeshwardenService (dry-run; detection in-thread and on 2 workers) vs a raw
 *                kafkajs consumer of the same topic (2 partitions keyed by workload)
 *   quarantine   anomaly handed to the engine -> NetworkPolicy visible on the real API server, p50/p99
 *   memory       heap per tracked entity of a Pipeline, vs an empty pipeline
 *
 * Kafka and Kubernetes are started from the test environment's cache (test/env/prepare.sh); when
 * the cache is missing, that figure is skipped with the reason. Sizes: BENCH_SERVICE_MESSAGES,
 * BENCH_QUARANTINES, BENCH_MEMORY_ENTITIES (comma list). BENCH_THREADS=1 prints the service's CPU by
 * thread (Linux).
 */
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { AppsV1Api, CoreV1Api, NetworkingV1Api, Watch, type KubeConfig, type V1Deployment, type V1Namespace } from '@kubernetes/client-node';
import { Kafka, logLevel } from 'kafkajs';
import { kubeObject } from '../src/actions/kubernetes/kube-object.js';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../src/app.js';
import { replayEntityKey } from '../src/embedded/replay-partition.js';
import { Ledger } from '../src/audit/ledger.js';
import { loadConfig } from '../src/config/load-config.js';
import { serviceConfigSchema } from '../src/config/service-config.js';
import type { Anomaly } from '../src/detect/anomaly.js';
import type { DetectorSpec } from '../src/detect/detector-spec.js';
import type { Entity } from '../src/features/entity.js';
import { PlaybookEngine } from '../src/playbook/playbook-engine.js';
import type { PlaybookSpec } from '../src/playbook/playbook-spec.js';
import { ClusterRails } from '../src/coordination/cluster-rails.js';
import { KubeLeaseClaims } from '../src/coordination/kube-lease-claims.js';
import { RunExecutor } from '../src/playbook/run-executor.js';
import { FileRunStore } from '../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../src/playbook/safety-guard.js';
import { createMetrics } from '../src/server/metrics.js';
import { MeshwardenService } from '../src/service.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger, silentLogger } from '../src/shared/logger.js';
import { IncidentTracker } from '../src/triage/incident-tracker.js';
import { missingFromCache, within, withKafka, withKubernetes, type BenchBackendName } from './service-bench-backends.js';
import { describeThreadCpu, threadCpu } from './thread-cpu.js';

const RECORDING = 'examples/recording/mesh.ndjson';
/** Partitions of the access-log topic in the kafka figure: one per detection worker of the faster run. */
const ACCESS_PARTITIONS = 2;
const MIN = 60_000;
const out = (line: string): void => { process.stdout.write(`${line}\n`); };
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Runs every service figure; a missing cache skips that figure, any other failure sets exit code 1. */
export async function benchService(): Promise<void> {
  // BENCH_SERVICE_SECTIONS=kafka (comma list of memory, kafka, quarantine) runs only those figures.
  const only = process.env.BENCH_SERVICE_SECTIONS?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const wanted = (name: string): boolean => only === undefined || only.length === 0 || only.includes(name);
  if (wanted('memory')) await section('memory per tracked entity', undefined, benchMemory);
  if (wanted('kafka')) await section('kafka: messages/s through the service vs a raw consumer', 'kafka', benchKafka);
  if (wanted('quarantine')) await section('quarantine: anomaly -> NetworkPolicy on the API server', 'kubernetes', benchQuarantine);
}

async function section(title: string, backend: BenchBackendName | undefined, run: () => Promise<void>): Promise<void> {
  out(title);
  if (backend !== undefined) {
    const missing = missingFromCache(backend);
    if (missing.length > 0) {
      out(`  skipped: the ${backend} test backend is not in the cache (missing ${missing.join(', ')}); run test/env/prepare.sh`);
      return;
    }
  }
  try {
    await run();
  } catch (error) {
    out(`  FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Kafka throughput

/**
 * The first `n` lines of the bundled recording; synthetic Fluent Bit lines when it is absent or
 * when BENCH_SERVICE_INPUT=synthetic (a denser mesh: 40 pods with ~75 lines each per minute, where
 * the recording's small mesh has ~82 messages per minute in all, so per-window work weighs less).
 */
async function messages(n: number): Promise<{ values: string[]; origin: string }> {
  const synthetic = process.env.BENCH_SERVICE_INPUT === 'synthetic';
  if (!synthetic && existsSync(RECORDING)) {
    const values: string[] = [];
    const lines = createInterface({ input: createReadStream(RECORDING, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === '') continue;
      values.push(line);
      if (values.length >= n) break;
    }
    lines.close();
    if (values.length >= n) return { values, origin: RECORDING };
  }
  const t0 = Date.UTC(2026, 10, 2, 8, 0, 0);
  // Four workloads of ten pods each, so that lines keyed by workload reach both partitions.
  const values = Array.from({ length: n }, (_, i) => fluentBitLine(t0 + Math.floor(i / 50) * 1_000, SYNTHETIC_WORKLOADS[i % SYNTHETIC_WORKLOADS.length] ?? 'inference', `7d9c8b6f5-${(i % 40).toString(36).padStart(5, 'x')}`, i));
  return { values, origin: `synthetic Fluent Bit lines (40 pods of 4 workloads, 3,000 lines a minute${synthetic ? '' : '; the recording is absent'})` };
}

const SYNTHETIC_WORKLOADS = ['inference', 'ranker', 'embedder', 'feature-store'];

/** A Fluent Bit message carrying an inbound Istio TEXT access-log line of a pod of `workload`. */
function fluentBitLine(at: number, workload: string, podSuffix: string, i: number): string {
  const pod = `${workload}-${podSuffix}`;
  const code = i % 97 === 0 ? 503 : 200;
  const text = `[${new Date(at).toISOString()}] "POST /v1/score HTTP/1.1" ${code} ${code >= 500 ? 'UF' : '-'} via_upstream - "-" 300 900 12 11 "-" "frontend/1.0" "req-${i}" "inference:8080" "10.42.2.10:8080" inbound|8080|| 127.0.0.6:4${i % 10000} 10.42.2.10:8080 10.42.1.5:51000 outbound_.8080_._.inference.ml-prod.svc.cluster.local default`;
  return JSON.stringify({ '@timestamp': at / 1000, log: text, kubernetes: { namespace_name: 'ml-prod', pod_name: pod, container_name: 'istio-proxy', labels: { app: workload } } });
}

async function benchKafka(): Promise<void> {
  const n = envInt('BENCH_SERVICE_MESSAGES', 200_000);
  const { values, origin } = await messages(n);
  const bytes = values.reduce((sum, v) => sum + Buffer.byteLength(v), 0);
  out(`  ${fmt(values.length)} messages (${(bytes / 1e6).toFixed(0)} MB) from ${origin}`);
  await withKafka(async ({ brokers, pid: brokerPid }) => {
    const prefix = `bench-${Date.now().toString(36)}`;
    const topics = {
      accessLogs: `${prefix}-access`, modelTelemetry: `${prefix}-telemetry`, driftMetrics: `${prefix}-drift`,
      deadLetters: `${prefix}-dlq`, anomalies: `${prefix}-anomalies`, audit: `${prefix}-audit`, state: `${prefix}-state`,
    };
    const kafka = new Kafka({ clientId: 'meshwarden-bench', brokers: [...brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [topics.accessLogs, topics.modelTelemetry, topics.driftMetrics].map((topic) => ({ topic, numPartitions: topic === topics.accessLogs ? ACCESS_PARTITIONS : 1 })) });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const produceStarted = performance.now();
    await within('producing the messages', 300_000, (async () => {
      // One request per ~800 kB: a record batch must stay under the broker's message.max.bytes (1 MB).
      let chunk: { key: string | null; value: string }[] = [];
      let chunkBytes = 0;
      for (const value of values) {
        // Keyed by entity, as a shipper keys them: one workload's lines stay in one partition.
        chunk.push({ key: replayEntityKey(value) ?? null, value });
        chunkBytes += Buffer.byteLength(value) + 64;
        if (chunkBytes >= 800_000) {
          await producer.send({ topic: topics.accessLogs, acks: 1, messages: chunk });
          chunk = [];
          chunkBytes = 0;
        }
      }
      if (chunk.length > 0) await producer.send({ topic: topics.accessLogs, acks: 1, messages: chunk });
    })());
    await producer.disconnect();
    // The service reports a partition's lag once it has had a batch: wait for the partitions that hold messages.
    const offsets = kafka.admin();
    await offsets.connect();
    const filled = (await offsets.fetchTopicOffsets(topics.accessLogs)).filter((p) => Number(p.high) > Number(p.low)).length;
    await offsets.disconnect();
    out(`  produced in ${((performance.now() - produceStarted) / 1000).toFixed(1)} s`);
    const total = values.length;
    values.length = 0;

    // (a) raw: a kafkajs consumer doing no work, with the service's fetch size.
    const raw = kafka.consumer({ groupId: `${prefix}-raw`, maxBytesPerPartition: 4 << 20 });
    let rawRate = 0;
    let rawCpu = 0;
    let rawBusy = 0;
    let rawMachine: MachineShare | undefined;
    try {
      await raw.connect();
      await raw.subscribe({ topic: topics.accessLogs, fromBeginning: true });
      rawRate = await within('the raw consumer reading every message', 300_000, new Promise<number>((resolve, reject) => {
        let seen = 0;
        let first: { at: number; seen: number; cpu: NodeJS.CpuUsage; elu: EventLoopUtilization; machine: MachineSample } | undefined;
        raw.run({
          eachBatch: ({ batch }) => {
            seen += batch.messages.length;
            const now = performance.now();
            // Steady state: from the end of the first batch, as for the service below.
            if (first === undefined) first = { at: now, seen, cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), machine: sampleMachine(brokerPid) };
            else if (seen >= total) {
              rawCpu = cpuMicrosPerMessage(first.cpu, seen - first.seen);
              rawBusy = busyMicrosPerMessage(first.elu, seen - first.seen);
              rawMachine = machineShare(first.machine, sampleMachine(brokerPid), seen - first.seen);
              resolve((seen - first.seen) / ((now - first.at) / 1000));
            }
            return Promise.resolve();
          },
        }).catch(reject);
      }));
    } finally {
      await raw.disconnect();
    }
    out(`  raw kafkajs consumer (eachBatch, no work)   ${fmt(rawRate).padStart(10)} msg/s   ${rawCpu.toFixed(1).padStart(5)} us CPU/msg, ${rawBusy.toFixed(1).padStart(5)} us event loop busy/msg`);

    // (b) the service, dry-run, Kubernetes disabled, with its detection in the main thread (1
    // worker) and on two worker threads; progress read from its metrics registry.
    const runService = async (workers: number): Promise<{ rate: number; seconds: number; cpu: number; busy: number; machine: MachineShare | undefined }> => {
      const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-bench-svc-'));
      // A retraining the service started may still write models here after stop(); clean up at exit too.
      process.once('exit', () => { rmSync(stateDir, { recursive: true, force: true }); });
      const config = serviceConfigSchema.parse({
        apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig', detectors: 'detectors', playbooks: 'playbooks', stateDir, dryRun: true, workers,
        // A state topic of its own: the other run's checkpoints would make this one skip the input.
        kubernetes: { enabled: false }, kafka: { brokers: [...brokers], groupId: `${prefix}-service-${workers}`, topics: { ...topics, state: `${topics.state}-${workers}` } },
      });
      const metrics = createMetrics();
      const service = new MeshwardenService({
        config, kafka: { clientId: 'meshwarden-bench', brokers: [...brokers] }, actionDeps: {},
        clock: systemClock, logger: process.env.BENCH_DEBUG ? createLogger({ level: 'info' }) : silentLogger(), metrics,
      });
      const result = { rate: 0, seconds: 0, cpu: 0, busy: 0, machine: undefined as MachineShare | undefined };
      try {
        await within('starting the service', 120_000, service.start());
        const profile = await startProfile(workers);
        result.rate = await within('the service processing every message', 600_000, (async () => {
          let first: { at: number; done: number; cpu: NodeJS.CpuUsage; elu: EventLoopUtilization; machine: MachineSample; threads: Map<number, number> } | undefined;
          for (;;) {
            const lags = (await metrics.lag.get()).values.filter((v) => v.labels.topic === topics.accessLogs);
            const now = performance.now();
            if (lags.length === filled) {
              const lag = lags.reduce((n, v) => n + v.value, 0);
              const done = total - lag;
              // Steady state: from the point half of the input is done, when the service's
              // threads (its workers too) have compiled and optimised their code, as a running
              // service has; the raw consumer has nothing to warm up.
              if (first === undefined) {
                if (done >= total / 2) first = { at: now, done, cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), machine: sampleMachine(brokerPid), threads: threadCpu() };
              } else if (lag === 0) {
                result.seconds = (now - first.at) / 1000;
                result.cpu = cpuMicrosPerMessage(first.cpu, done - first.done);
                result.busy = busyMicrosPerMessage(first.elu, done - first.done);
                result.machine = machineShare(first.machine, sampleMachine(brokerPid), done - first.done);
                if (process.env.BENCH_THREADS === '1') out(`  (${workers} worker(s): CPU by thread over the measured ${fmt(done - first.done)} messages: ${describeThreadCpu(first.threads, threadCpu())})`);
                await profile?.stop();
                return (done - first.done) / result.seconds;
              }
            }
            await sleep(10);
          }
        })());
      } finally {
        await within('stopping the service', 60_000, service.stop()).catch((error: unknown) => {
          out(`  note: MeshwardenService.stop() failed: ${error instanceof Error ? error.message : String(error)}`);
        });
        rmSync(stateDir, { recursive: true, force: true });
      }
      const records = (await metrics.records.get()).values.reduce((sum, v) => sum + v.value, 0);
      const dead = (await metrics.deadLetters.get()).values.reduce((sum, v) => sum + v.value, 0);
      const anomalies = (await metrics.anomalies.get()).values.reduce((sum, v) => sum + v.value, 0);
      const label = `MeshwardenService, ${workers === 1 ? '1 worker (in-thread)' : `${workers} workers`}`.padEnd(43);
      out(`  ${label} ${fmt(result.rate).padStart(10)} msg/s   ${result.cpu.toFixed(1).padStart(5)} us CPU/msg, ${result.busy.toFixed(1).padStart(5)} us event loop busy/msg   (${fmt(records)} records parsed, ${fmt(dead)} dead-lettered, ${fmt(anomalies)} anomalies)`);
      const batches = (await metrics.batchSeconds.get()).values.filter((v) => v.labels.topic === topics.accessLogs);
      const batchCount = batches.find((v) => v.metricName === 'meshwarden_batch_seconds_count')?.value ?? 0;
      const batchSum = batches.find((v) => v.metricName === 'meshwarden_batch_seconds_sum')?.value ?? 0;
      if (batchCount > 0 && result.seconds > 0) {
        out(`  (${fmt(batchCount)} batches, ${(batchSum / batchCount * 1000).toFixed(0)} ms each in the batch handler, receipt to commit)`);
      }
      return result;
    };
    const one = await runService(1);
    const two = await runService(2);
    const serviceRate = two.rate;
    const serviceCpu = two.cpu;
    const serviceBusy = two.busy;
    const serviceMachine = two.machine;
    out(`  ratio 2 workers / 1 worker                  ${(two.rate / one.rate).toFixed(2).padStart(10)}         (${ACCESS_PARTITIONS} partitions keyed by workload, ${filled} holding messages)`);
    out(`  ratio service / raw, 1 worker / 2 workers   ${(one.rate / rawRate).toFixed(2).padStart(5)} / ${(two.rate / rawRate).toFixed(2)}`);
    const ratio = serviceRate / rawRate;
    out(`  ratio service (2 workers) / raw             ${ratio.toFixed(2).padStart(10)}         (target >= 0.70) ${ratio >= 0.7 ? 'ok' : 'BELOW TARGET'}`);
    // CPU time of this process (every thread: the detection workers, GC helpers, the autoencoder's
    // training thread) and busy time of the event loop, over the same steady-state spans: less
    // sensitive than wall time to other load on a shared machine (the broker runs in its own process).
    out(`  CPU per message, raw / service              ${(rawCpu / serviceCpu).toFixed(2).padStart(10)}         (${rawCpu.toFixed(1)} vs ${serviceCpu.toFixed(1)} us; the service's own work: ${(serviceCpu - rawCpu).toFixed(1)} us/msg)`);
    const cpuTimes = serviceCpu / rawCpu;
    out(`  CPU per message, service / raw              ${`x${cpuTimes.toFixed(1)}`.padStart(10)}         (target <= x3.0) ${cpuTimes <= 3 ? 'ok' : 'ABOVE TARGET'}`);
    out(`  event loop busy per message, raw / service  ${(rawBusy / serviceBusy).toFixed(2).padStart(10)}         (${rawBusy.toFixed(1)} vs ${serviceBusy.toFixed(1)} us; with workers the main thread keeps the response and Kafka)`);
    out(`  service per instance                        ${fmt(serviceRate).padStart(10)} msg/s   (target >= 100,000) ${serviceRate >= 100_000 ? 'ok' : 'BELOW TARGET'}`);
    if (rawMachine && serviceMachine) reportMachine(rawMachine, rawCpu, rawRate, serviceMachine, serviceCpu);
    out('  (rates in steady state: the raw consumer from the end of its first batch, the service from half of the input, to the last message; the service counts a message once its batch is drained and flushed)');
  });
}

/** CPU counters of the whole machine and of the broker process at one instant (Linux /proc). */
interface MachineSample {
  readonly at: number;
  /** Busy and total jiffies over every core, from /proc/stat; undefined off Linux. */
  readonly machine?: { readonly busy: number; readonly total: number };
  /** The broker's user + system jiffies, from /proc/<pid>/stat. */
  readonly broker?: number;
}

/** Over a span: the broker's CPU per message and how many of the machine's cores were busy. */
interface MachineShare {
  readonly brokerMicrosPerMessage: number;
  readonly coresBusy: number;
  readonly cores: number;
}

/** Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture we run on. */
const JIFFY_MICROS = 10_000;

function sampleMachine(brokerPid: number): MachineSample {
  const sample: { at: number; machine?: { busy: number; total: number }; broker?: number } = { at: performance.now() };
  try {
    // cpu  user nice system idle iowait irq softirq steal ...
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    sample.machine = { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
    // After the command (in parentheses, may hold spaces): state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${brokerPid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    sample.broker = Number(rest[11]) + Number(rest[12]);
  } catch {
    // Not Linux, or the broker is gone: the machine figures are left out.
  }
  return sample;
}

function machineShare(from: MachineSample, to: MachineSample, messages: number): MachineShare | undefined {
  if (!from.machine || !to.machine || from.broker === undefined || to.broker === undefined || messages <= 0) return undefined;
  const cores = availableParallelism();
  const share = (to.machine.busy - from.machine.busy) / Math.max(1, to.machine.total - from.machine.total);
  return { brokerMicrosPerMessage: ((to.broker - from.broker) * JIFFY_MICROS) / messages, coresBusy: share * cores, cores };
}

/**
 * What the machine could give: the broker serving the fetches runs on the same cores, so a phase's
 * messages/s is bounded by cores / (this process's + the broker's CPU per message). The bound for
 * the service's ratio follows from CPU alone, whatever the other tenants of the machine do.
 */
function reportMachine(raw: MachineShare, rawCpu: number, rawRate: number, service: MachineShare, serviceCpu: number): void {
  const rawTotal = rawCpu + raw.brokerMicrosPerMessage;
  const serviceTotal = serviceCpu + service.brokerMicrosPerMessage;
  out(`  machine: ${raw.cores} cores; busy during raw / service      ${raw.coresBusy.toFixed(2)} / ${service.coresBusy.toFixed(2)} cores (every process on the machine)`);
  out(`  broker CPU per message, raw / service        ${raw.brokerMicrosPerMessage.toFixed(1)} / ${service.brokerMicrosPerMessage.toFixed(1)} us;  engine + broker: ${rawTotal.toFixed(1)} / ${serviceTotal.toFixed(1)} us/msg`);
  const bound = (raw.cores * 1e6) / serviceTotal;
  out(`  CPU bound of the service on ${raw.cores} cores            ${fmt(bound).padStart(10)} msg/s   (ratio <= ${(bound / rawRate).toFixed(2)} against this run's raw rate)`);
  const coresFor = (rate: number): number => (rate * serviceTotal) / 1e6;
  out(`  cores the targets need at this CPU per message: ${coresFor(0.7 * rawRate).toFixed(1)} for 0.70 x raw, ${coresFor(100_000).toFixed(1)} for 100,000 msg/s (engine threads + broker)`);
}

/** Busy time of the event loop (main thread) since `since`, per message. */
function busyMicrosPerMessage(since: EventLoopUtilization, messages: number): number {
  const used = performance.eventLoopUtilization(since);
  return messages > 0 ? (used.active * 1000) / messages : Number.NaN;
}

/** CPU time (user + system) of this process since `since`, per message. */
function cpuMicrosPerMessage(since: NodeJS.CpuUsage, messages: number): number {
  const used = process.cpuUsage(since);
  return messages > 0 ? (used.user + used.system) / messages : Number.NaN;
}

/**
 * BENCH_PROFILE=<file.cpuprofile>: a V8 CPU profile of the service phase alone (not the producer
 * or the raw consumer), for Chrome DevTools or any .cpuprofile viewer; one per run, the number of
 * workers put before the extension (`<file>.1w.cpuprofile`, `<file>.2w.cpuprofile`).
 */
async function startProfile(workers: number): Promise<{ stop(): Promise<void> } | undefined> {
  const base = process.env.BENCH_PROFILE;
  if (base === undefined || base === '') return undefined;
  const path = base.replace(/(\.cpuprofile)?$/, `.${workers}w.cpuprofile`);
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
      out(`  CPU profile of the service phase written to ${path}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Anomaly -> NetworkPolicy

/** The shipped playbooks with `ml-prod` replaced by the bench namespace. */
async function playbooksFor(namespace: string): Promise<PlaybookSpec[]> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-bench-playbooks-'));
  try {
    // Playbook files only: `playbooks/tests/` holds their tests, not playbooks.
    for (const file of readdirSync('playbooks').filter((name) => /\.ya?ml$/.test(name))) writeFileSync(join(dir, file), readFileSync(join('playbooks', file), 'utf8').replaceAll('ml-prod', namespace));
    const config = await loadConfig([dir]);
    if (config.problems.length > 0) throw new Error('the shipped playbooks do not validate; run meshwarden check playbooks');
    return config.playbooks.map((p) => p.value);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

async function runningPods(core: CoreV1Api, namespace: string): Promise<string[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=inference' });
  return pods.items
    .filter((p) => p.status?.phase === 'Running' && p.metadata?.deletionTimestamp === undefined)
    .map((p) => p.metadata?.name ?? '')
    .filter((name) => name !== '');
}

async function benchQuarantine(): Promise<void> {
  const count = envInt('BENCH_QUARANTINES', 30);
  await withKubernetes(async ({ admin }) => {
    const namespace = `bench-${Date.now().toString(36)}`;
    const core = admin.makeApiClient(CoreV1Api);
    const apps = admin.makeApiClient(AppsV1Api);
    const networking = admin.makeApiClient(NetworkingV1Api);
    await core.createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name: namespace } }) });
    await apps.createNamespacedDeployment({
      namespace,
      body: kubeObject<V1Deployment>({
        metadata: { name: 'inference', labels: { app: 'inference' } },
        spec: {
          replicas: count,
          selector: { matchLabels: { app: 'inference' } },
          template: { metadata: { labels: { app: 'inference' } }, spec: { containers: [{ name: 'model-server', image: 'registry.local/inference:3.1' }] } },
        },
      }),
    });
    const pods = await within(`${count} inference pods Running`, 180_000, (async () => {
      for (;;) {
        const running = await runningPods(core, namespace);
        if (running.length >= count) return running.slice(0, count);
        await sleep(250);
      }
    })());
    out(`  Deployment of ${count} replicas Running on the kwok node; ${count} sequential quarantines (admin credential, no approval step, each run claiming its pod and booking its budget slots as Leases first)`);

    const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-bench-quarantine-'));
    const abort = await watchPolicies(admin, namespace);
    try {
      const playbooks = await playbooksFor(namespace);
      const ledger = await Ledger.open(join(stateDir, 'audit'), systemClock);
      const hour = 3_600_000;
      const policy = {
        ...DEFAULT_SAFETY_POLICY,
        // The bench quarantines many pods of one workload on purpose; budgets far from full, as
        // in normal operation (a nearly full budget makes each step search more slots).
        rateLimits: { perTarget: { count: 10, windowMs: hour }, perNamespace: { count: 10 * count, windowMs: hour }, global: { count: 10 * count, windowMs: hour } },
        blastRadius: { maxQuarantinedPerWorkload: 10 * count, maxQuarantinedPerNamespace: 10 * count },
      };
      const guard = new SafetyGuard(policy);
      const isolated = new Map<string, number>();
      const claims = new KubeLeaseClaims(admin, namespace, systemClock);
      const executor = new RunExecutor({
        playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard, store: new FileRunStore(join(stateDir, 'runs')), ledger,
        actionDeps: { kube: admin, clock: systemClock, logger: silentLogger() },
        // As in the cluster service: each run first claims its playbook and pod, and each step books
        // its rate-limit and blast-radius slots (Leases).
        claims: { store: claims, holdAtLeastMs: hour },
        clusterRails: new ClusterRails(claims, policy, 24 * hour),
        onStep: (run, result) => {
          if (result.action === 'kubernetes.quarantine-pod') {
            isolated.set(run.anomaly.entity.key, performance.now());
            if (result.outcome !== 'succeeded') throw new Error(`quarantine of ${run.anomaly.entity.key}: ${result.outcome}: ${result.description}`);
          }
          return Promise.resolve();
        },
      });
      const engine = new PlaybookEngine(playbooks, { dryRun: false });
      const tracker = new IncidentTracker(10 * MIN);

      const toPolicy: number[] = [];
      const toStep: number[] = [];
      for (const [i, pod] of pods.entries()) {
        const entity: Entity = { key: `pod:${namespace}/${pod}`, kind: 'pod', namespace, name: pod, pod, workload: 'inference', labels: { app: 'inference' } };
        const windowEnd = Date.now();
        const anomaly: Anomaly = {
          id: `bench-egress-${i}-${windowEnd}`, detector: 'egress-spike', severity: 'critical', score: 0.995, entity, windowStart: windowEnd - MIN, windowEnd,
          evidence: [{ feature: 'egress_bytes', observed: 9e7, expected: 1.5e3, spread: 150, score: 0.995 }],
        };
        const started = performance.now();
        const { runs } = engine.handle(anomaly, tracker.observe(anomaly).incident);
        if (runs.length !== 1 || runs[0]?.playbook !== 'quarantine-on-exfiltration') throw new Error(`expected one quarantine-on-exfiltration run for ${pod}, got ${runs.map((r) => r.playbook).join(', ') || 'none'}`);
        for (const run of runs) await within(`the run for ${pod}`, 60_000, executor.start(run));
        const visible = await within(`the NetworkPolicy of ${pod} to be watched`, 30_000, abort.seen(pod));
        const done = isolated.get(entity.key);
        if (done === undefined) throw new Error(`no quarantine step result for ${pod}`);
        toPolicy.push(visible - started);
        toStep.push(done - started);
      }
      // Readable, not just announced: every policy is there on a plain GET.
      const listed = await networking.listNamespacedNetworkPolicy({ namespace });
      const names = new Set(listed.items.map((p) => p.metadata?.name ?? ''));
      const missing = [...abort.names()].filter((name) => !names.has(name));
      if (missing.length > 0 || abort.names().size < count) throw new Error(`NetworkPolicies not readable: ${missing.join(', ')}`);

      const report = (label: string, samples: number[]): number => {
        const sorted = [...samples].sort((a, b) => a - b);
        const p99 = percentile(sorted, 0.99);
        out(`  ${label.padEnd(42)} p50 ${percentile(sorted, 0.5).toFixed(0).padStart(4)} ms   p99 ${p99.toFixed(0).padStart(4)} ms   max ${(sorted.at(-1) ?? Number.NaN).toFixed(0).padStart(4)} ms`);
        return p99;
      };
      const p99 = report('anomaly -> NetworkPolicy seen by a watch', toPolicy);
      report('anomaly -> quarantine step done (pod detached)', toStep);
      out(`  p99 anomaly -> NetworkPolicy ${p99.toFixed(0)} ms (target < 250 ms without approval) ${p99 < 250 ? 'ok' : 'ABOVE TARGET'}`);
    } finally {
      abort.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
}

/** Watches the namespace's NetworkPolicies and remembers when each pod's policy was first seen. */
async function watchPolicies(kc: KubeConfig, namespace: string): Promise<{ seen(pod: string): Promise<number>; names(): ReadonlySet<string>; stop(): void }> {
  const seenAt = new Map<string, number>();
  const policyNames = new Set<string>();
  const waiters = new Map<string, (at: number) => void>();
  let failure: unknown;
  const controller = await new Watch(kc).watch(
    `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`,
    {},
    (phase: string, obj: unknown) => {
      if (phase !== 'ADDED') return;
      const at = performance.now();
      const name = (obj as { metadata?: { name?: string } }).metadata?.name ?? '';
      policyNames.add(name);
      // quarantinePolicyName: `meshwarden-quarantine-<pod>` whenever that fits (bench pod names do).
      const pod = name.replace(/^meshwarden-quarantine-/, '');
      if (seenAt.has(pod)) return;
      seenAt.set(pod, at);
      waiters.get(pod)?.(at);
    },
    (error: unknown) => { failure = error; },
  );
  return {
    seen: (pod) => {
      const at = seenAt.get(pod);
      if (at !== undefined) return Promise.resolve(at);
      if (failure !== undefined) return Promise.reject(new Error(`the NetworkPolicy watch ended: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}`));
      return new Promise((resolve) => waiters.set(pod, resolve));
    },
    names: () => policyNames,
    stop: () => { controller.abort(); },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Memory per tracked entity

type Gc = () => void;

/** `global.gc` when node runs with --expose-gc; otherwise the V8 flag set at run time, if allowed. */
function findGc(): { gc: Gc; how: string } | undefined {
  const exposed = (globalThis as { gc?: Gc }).gc;
  if (typeof exposed === 'function') return { gc: exposed, how: 'global.gc (--expose-gc)' };
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') return { gc: () => { (gc as Gc)(); }, how: 'gc exposed at run time (v8.setFlagsFromString)' };
  } catch {
    // fall through: no way to force a collection
  }
  return undefined;
}

/**
 * JS heap used without compiled code, the compiled code, and array buffer backing stores (outside
 * the JS heap), after a full collection. Code is reported apart: the optimizing compiler's output
 * grows with the paths a run exercised, not with the entities it tracks.
 */
function heapAfterGc(gc: Gc | undefined): { heap: number; code: number; buffers: number } {
  if (gc) for (let i = 0; i < 3; i++) gc();
  const usage = process.memoryUsage();
  const code = getHeapSpaceStatistics()
    .filter((space) => space.space_name.startsWith('code_'))
    .reduce((sum, space) => sum + space.space_used_size, 0);
  return { heap: usage.heapUsed - code, code, buffers: usage.arrayBuffers };
}

async function benchMemory(): Promise<void> {
  const sizes = (process.env.BENCH_MEMORY_ENTITIES ?? '1000,10000,50000').split(',').map(Number).filter((k) => Number.isInteger(k) && k > 0);
  const found = findGc();
  if (!found) out('  note: no way to force a GC here (run node with --expose-gc); figures include garbage and are upper bounds');
  else out(`  heap used after GC, via ${found.how}`);
  const config = await loadConfig(['detectors', 'playbooks']);
  if (config.problems.length > 0) throw new Error('detectors/playbooks do not validate; run meshwarden check');
  const detectors: DetectorSpec[] = config.detectors.map((d) => d.value);
  const playbooks: PlaybookSpec[] = config.playbooks.map((p) => p.value);
  const sinks = { deadLetters: { add: () => undefined }, ledger: { append: () => undefined, flush: () => Promise.resolve() } };
  const options = { ...DEFAULT_PIPELINE_OPTIONS, collect: false };

  const t0 = Date.UTC(2026, 10, 2, 8, 0, 0);
  /** Three minutes of traffic, two requests per pod per minute: every pod has closed, scored windows
   *  (features and detector baselines) and an open one, as in a running service. */
  const feed = (pipeline: Pipeline, k: number): void => {
    let position = 0;
    for (let minute = 0; minute < 3; minute++) {
      for (let r = 0; r < 2; r++) {
        for (let pod = 0; pod < k; pod++) {
          const at = t0 + minute * MIN + r * 20_000 + Math.floor((pod / k) * 19_000);
          pipeline.ingest(fluentBitLine(at, 'inference', `7d9c8b6f5-${pod.toString(36).padStart(5, '0')}`, position), { source: 'bench', position });
          position++;
        }
      }
    }
  };
  // Warm-up, thrown away: one-time allocations (compiled code and its feedback, lazily built
  // tables) are not per entity. Twelve thousand lines take the hot paths through the optimizing
  // compiler, as in a service that has run for a while; with a few hundred, the first size
  // measured paid for that compilation.
  feed(new Pipeline(detectors, playbooks, options, sinks), 2000);

  const empty = new Pipeline(detectors, playbooks, options, sinks);
  const baseline = heapAfterGc(found?.gc);
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
  out(`  empty pipeline (baseline): ${mb(baseline.heap)} MB JS heap used (${mb(baseline.code)} MB compiled code besides), ${mb(baseline.buffers)} MB array buffers`);
  for (const k of sizes) {
    let pipeline: Pipeline | undefined = new Pipeline(detectors, playbooks, options, sinks);
    feed(pipeline, k);
    const tracked = pipeline.trackedEntities;
    const used = heapAfterGc(found?.gc);
    const heap = used.heap - baseline.heap;
    const buffers = used.buffers - baseline.buffers;
    out(`  ${fmt(k).padStart(6)} pods: ${fmt(tracked).padStart(7)} tracked entities, +${mb(heap).padStart(5)} MB heap +${mb(buffers).padStart(5)} MB array buffers over baseline = ${fmt((heap + buffers) / tracked).padStart(6)} bytes per tracked entity (target <= 1,000) ${(heap + buffers) / tracked <= 1000 ? 'ok' : 'ABOVE TARGET'}; compiled code ${used.code >= baseline.code ? '+' : ''}${mb(used.code - baseline.code)} MB, not counted`);
    pipeline = undefined;
    heapAfterGc(found?.gc);
  }
  // Keep the baseline pipeline alive until the end, so it stays in every measurement.
  if (empty.trackedEntities !== 0) out('  (the empty pipeline tracked entities)');
}
