/**
 * The Kafka figure of `npm run bench`: messages/s and CPU per message through MeshwardenService
 * (dry-run; detection in-thread and on 2 workers) against a raw kafkajs consumer of the same topic
 * (2 partitions keyed by workload), in the same run, in BENCH_SERVICE_ROUNDS rounds (2) of the three
 * runs, each figure the round with the least CPU per message. Measured on each input in turn
 * (BENCH_SERVICE_INPUT, a comma list, `recording,dense` by default: the recording's mix as it is and
 * at a busy mesh's density). Sizes: BENCH_SERVICE_HOURS, BENCH_SERVICE_MESSAGES. BENCH_THREADS=1 prints the
 * service's CPU by thread (Linux); BENCH_PROFILE a CPU profile of its phase.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { serviceConfigSchema } from '../src/config/service-config.js';
import { replayEntityKey } from '../src/embedded/replay-partition.js';
import { createMetrics } from '../src/server/metrics.js';
import { MeshwardenService } from '../src/service.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger, silentLogger } from '../src/shared/logger.js';
import { DEFAULT_HOURS } from '../scripts/recording/recording-generator.js';
import { denseMix, recordingMix } from './bench-inputs.js';
import { envInt, fmt, out } from './bench-output.js';
import { startProfile } from './cpu-profile.js';
import { endSpan, reportMachine, startSpan, type Measured, type SpanStart } from './machine-share.js';
import { within, withKafka } from './service-bench-backends.js';
import { fluentBitLine, SYNTHETIC_WORKLOADS } from './synthetic-lines.js';
import { describeThreadCpu, threadCpu } from './thread-cpu.js';

/** Rounds of the raw consumer and of each service run (BENCH_SERVICE_ROUNDS). */
const ROUNDS = envInt('BENCH_SERVICE_ROUNDS', 2);

/** The measurement with the least CPU per message. */
function leastCpu<T extends Measured>(runs: readonly T[]): T {
  const [first, ...rest] = runs;
  if (first === undefined) throw new Error('no rounds were measured');
  return rest.reduce((best, run) => (run.cpu < best.cpu ? run : best), first);
}

/** Partitions of the access-log topic: one per detection worker of the faster run. */
const ACCESS_PARTITIONS = 2;

/** The inputs the figure can be measured on; the first two by default. */
const INPUTS = ['recording', 'dense', 'synthetic'] as const;
type Input = (typeof INPUTS)[number];

/** BENCH_SERVICE_INPUT (a comma list of {@link INPUTS}), `recording,dense` when unset. */
function inputs(): Input[] {
  const asked = (process.env.BENCH_SERVICE_INPUT ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (asked.length === 0) return ['recording', 'dense'];
  const unknown = asked.filter((name) => !(INPUTS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_SERVICE_INPUT: unknown input(s) ${unknown.join(', ')}; use a comma list of ${INPUTS.join(', ')}`);
  return asked as Input[];
}

/**
 * `recording`: the recording's mix over BENCH_SERVICE_HOURS, twice the bundled recording's span by
 * default, so that the figure, taken over the second half, is that of a process whose code is
 * compiled and optimised, as a service's is after its first minutes. `dense`: the same mix at the
 * density of a busy mesh, over two hours (bench-inputs.ts). `synthetic`: synthetic Fluent Bit TEXT
 * lines (40 pods with ~75 lines each per minute, 470 bytes). BENCH_SERVICE_MESSAGES caps each.
 */
function messages(input: Input): { values: string[]; origin: string } {
  const cap = envInt('BENCH_SERVICE_MESSAGES', Number.MAX_SAFE_INTEGER);
  if (input === 'synthetic') {
    const n = Math.min(cap, 200_000);
    const t0 = Date.UTC(2026, 10, 2, 8, 0, 0);
    // Four workloads of ten pods each, so that lines keyed by workload reach both partitions.
    const values = Array.from({ length: n }, (_, i) => fluentBitLine(t0 + Math.floor(i / 50) * 1_000, SYNTHETIC_WORKLOADS[i % SYNTHETIC_WORKLOADS.length] ?? 'inference', `7d9c8b6f5-${(i % 40).toString(36).padStart(5, 'x')}`, i));
    return { values, origin: 'synthetic Fluent Bit lines (40 pods of 4 workloads, 3,000 lines a minute)' };
  }
  const { lines, origin } = input === 'dense' ? denseMix(2, cap) : recordingMix(envInt('BENCH_SERVICE_HOURS', 2 * DEFAULT_HOURS), cap);
  return { values: lines, origin };
}

/** The Kafka figure on each input of BENCH_SERVICE_INPUT in turn. */
export async function benchKafka(): Promise<void> {
  for (const input of inputs()) await benchKafkaOn(input);
}

async function benchKafkaOn(input: Input): Promise<void> {
  const { values, origin } = messages(input);
  const bytes = values.reduce((sum, v) => sum + Buffer.byteLength(v), 0);
  out(`  ${input}: ${fmt(values.length)} messages (${(bytes / 1e6).toFixed(0)} MB) from ${origin}`);
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
    const runRaw = async (round: number): Promise<Measured> => {
      const raw = kafka.consumer({ groupId: `${prefix}-raw-${round}`, maxBytesPerPartition: 4 << 20 });
      let result: Measured;
      try {
        await raw.connect();
        await raw.subscribe({ topic: topics.accessLogs, fromBeginning: true });
        result = await within('the raw consumer reading every message', 300_000, new Promise<Measured>((resolve, reject) => {
          let seen = 0;
          let first: SpanStart | undefined;
          raw.run({
            eachBatch: ({ batch }) => {
              seen += batch.messages.length;
              const now = performance.now();
              // Steady state: from the end of the first batch, as for the service below.
              if (first === undefined) first = startSpan(now, seen, brokerPid);
              else if (seen >= total) resolve(endSpan(first, now, seen, brokerPid));
              return Promise.resolve();
            },
          }).catch(reject);
        }));
      } finally {
        await raw.disconnect();
      }
      out(`  raw kafkajs consumer (eachBatch, no work)   ${fmt(result.rate).padStart(10)} msg/s   ${result.cpu.toFixed(1).padStart(5)} us CPU/msg, ${result.busy.toFixed(1).padStart(5)} us event loop busy/msg`);
      return result;
    };

    // (b) the service, dry-run, Kubernetes disabled, with its detection in the main thread (1
    // worker) and on two worker threads; progress read from its metrics registry.
    const runService = async (workers: number, round: number): Promise<Measured> => {
      const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-bench-svc-'));
      // A retraining the service started may still write models here after stop(); clean up at exit too.
      process.once('exit', () => { rmSync(stateDir, { recursive: true, force: true }); });
      const config = serviceConfigSchema.parse({
        apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig', detectors: 'detectors', playbooks: 'playbooks', stateDir, dryRun: true, workers,
        // A state topic of its own: the other run's checkpoints would make this one skip the input.
        kubernetes: { enabled: false }, kafka: { brokers: [...brokers], groupId: `${prefix}-service-${workers}-${round}`, topics: { ...topics, state: `${topics.state}-${workers}-${round}` } },
      });
      const metrics = createMetrics();
      const service = new MeshwardenService({
        config, kafka: { clientId: 'meshwarden-bench', brokers: [...brokers] }, actionDeps: {},
        clock: systemClock, logger: process.env.BENCH_DEBUG ? createLogger({ level: 'info' }) : silentLogger(), metrics,
      });
      let result: Measured;
      try {
        await within('starting the service', 120_000, service.start());
        const profile = await startProfile(workers);
        result = await within('the service processing every message', 600_000, (async () => {
          let first: SpanStart | undefined;
          let threads = new Map<number, number>();
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
                if (done >= total / 2) {
                  first = startSpan(now, done, brokerPid);
                  threads = threadCpu();
                }
              } else if (lag === 0) {
                const measured = endSpan(first, now, done, brokerPid);
                if (process.env.BENCH_THREADS === '1') out(`  (${workers} worker(s): CPU by thread over the measured ${fmt(done - first.done)} messages: ${describeThreadCpu(threads, threadCpu())})`);
                await profile?.stop();
                return measured;
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
    // Rounds alternate the three runs; each figure is its round with the least CPU per message
    // (other load on a shared machine only ever adds to it), its rate and machine share with it.
    const raws: Measured[] = [];
    const ones: Measured[] = [];
    const twos: Measured[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raws.push(await runRaw(round));
      ones.push(await runService(1, round));
      twos.push(await runService(2, round));
    }
    const { rate: rawRate, cpu: rawCpu, busy: rawBusy, machine: rawMachine } = leastCpu(raws);
    const one = leastCpu(ones);
    const two = leastCpu(twos);
    if (ROUNDS > 1) {
      out(`  best of ${ROUNDS} rounds (least CPU per message): raw ${fmt(rawRate)} msg/s at ${rawCpu.toFixed(1)} us, 1 worker ${fmt(one.rate)} msg/s at ${one.cpu.toFixed(1)} us, 2 workers ${fmt(two.rate)} msg/s at ${two.cpu.toFixed(1)} us`);
    }
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
    // One instance is the engine's process, its workers and helper threads: in a cluster the brokers
    // run on machines of their own (the machine lines below add this run's broker beside it).
    const instanceCores = (100_000 * serviceCpu) / 1e6;
    out(`  cores one instance needs for 100,000 msg/s  ${instanceCores.toFixed(2).padStart(10)}         (the engine's threads at ${serviceCpu.toFixed(1)} us/msg on 2 workers; target <= 2) ${instanceCores <= 2 ? 'ok' : 'ABOVE TARGET'}`);
    out(`  event loop busy per message, raw / service  ${(rawBusy / serviceBusy).toFixed(2).padStart(10)}         (${rawBusy.toFixed(1)} vs ${serviceBusy.toFixed(1)} us; with workers the main thread keeps the response and Kafka)`);
    out(`  service per instance                        ${fmt(serviceRate).padStart(10)} msg/s   (target >= 100,000) ${serviceRate >= 100_000 ? 'ok' : 'BELOW TARGET'}`);
    if (rawMachine && serviceMachine) reportMachine(rawMachine, rawCpu, rawRate, serviceMachine, serviceCpu);
    out('  (rates in steady state: the raw consumer from the end of its first batch, the service from half of the input, to the last message; the service counts a message once its batch is drained and flushed)');
  });
}
