/**
 * Generates the bundled recording: minute by minute, the benign traffic, the incidents, the
 * model telemetry and the drift metrics, written as NDJSON in the order a consumer would read
 * them from Kafka, plus the ground truth of the injected incidents.
 */
import {
  type BenignEvent,
  type Incident,
  type IncidentPlan,
  benignEvents,
  planIncidents,
} from './incident-schedule.js';
import { type MessageCounts, MessageBuffer } from './message-buffer.js';
import { DRIFT_WINDOW_MINUTES, ModelStats, driftRecords, telemetryRecord } from './model-records.js';
import { Prng } from './prng.js';
import { type PodInfo, type Topology, activePods, buildTopology } from './topology.js';
import { incidentMinute } from './incident-traffic.js';
import { ClientPicker, type TrafficContext, benignMinute } from './traffic.js';

/** What to generate. */
export interface RecordingOptions {
  readonly seed: number;
  /** Start of the recording, epoch milliseconds. */
  readonly startMs: number;
  readonly hours: number;
  /**
   * External requests per minute, as a multiple of the bundled recording's (1 when unset): a busier
   * mesh of the same shape, formats and incidents, for load figures.
   */
  readonly arrivalsScale?: number;
}

/** Default start of the recording: a Monday, midnight UTC. */
export const DEFAULT_START = '2026-11-02T00:00:00Z';
/** Default seed of the bundled recording. */
export const DEFAULT_SEED = 20261102;
/** Default length: one benign day to learn baselines, then the day of the incidents. */
export const DEFAULT_HOURS = 48;

/** An incident as written to `incidents.json`. */
export type IncidentJson = Omit<Incident, 'startMs' | 'endMs'>;

/** The content of `incidents.json`. */
export interface IncidentsFile {
  readonly description: string;
  readonly generator: { readonly command: string; readonly seed: number; readonly start: string; readonly hours: number };
  readonly end: string;
  readonly entityKeys: Readonly<Record<string, string>>;
  readonly incidents: readonly IncidentJson[];
  readonly benign: readonly BenignEvent[];
}

/** Counts and ground truth of a generated recording. */
export interface RecordingResult {
  readonly counts: MessageCounts;
  readonly totalMessages: number;
  readonly incidentsFile: IncidentsFile;
}

/** A line the `istio-proxy` container prints that is not an access log. */
interface ProxyAppLine {
  readonly pod: PodInfo;
  readonly atMs: number;
  readonly text: string;
}

/** pilot-agent's log timestamp: ISO-8601 with microseconds. */
function agentTime(ms: number, micros: number): string {
  return `${new Date(Math.floor(ms)).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/** Start-up lines of new pods and shutdown lines of old pods during the rolling restart. */
function proxyLifecycleLines(topology: Topology, seed: number): ProxyAppLine[] {
  const restart = topology.rollingRestart;
  if (restart === undefined) return [];
  const rng = new Prng(seed, 'proxy-lifecycle');
  const lines: ProxyAppLine[] = [];
  const line = (pod: PodInfo, atMs: number, message: string): void => {
    lines.push({ pod, atMs, text: `${agentTime(atMs, rng.int(0, 999))}\t${message}` });
  };
  for (const pod of restart.newPods) {
    const t = pod.activeFromMs - 9_000;
    line(pod, t, `info\tProxy role\tips=[${pod.ip}] type=sidecar id=${pod.name}.${pod.namespace} domain=${pod.namespace}.svc.cluster.local`);
    line(pod, t + 40, 'info\txdsproxy\tInitializing with upstream address "istiod.istio-system.svc:15012" and cluster "Kubernetes"');
    line(pod, t + 180, `info\tcache\tgenerated new workload certificate\tresourceName=default latency=${rng.uniform(60, 140).toFixed(6)}ms ttl=23h59m59.${rng.int(100000, 999999)}s`);
    line(pod, t + 1_250, `info\tReadiness succeeded in ${rng.uniform(0.9, 1.4).toFixed(2)}s`);
    line(pod, t + 1_260, 'info\tEnvoy proxy is ready');
  }
  for (const pod of restart.oldPods) {
    const t = pod.activeUntilMs;
    line(pod, t, 'info\tAgent draining Proxy for termination');
    line(pod, t + 20, 'info\tGraceful termination period is 5s, starting...');
    line(pod, t + 5_020, 'info\tGraceful termination period complete, terminating remaining proxies.');
  }
  return lines.sort((a, b) => a.atMs - b.atMs);
}

function incidentsFile(options: RecordingOptions, endMs: number, plan: IncidentPlan, topology: Topology): IncidentsFile {
  return {
    description:
      'Ground truth of the bundled recording (mesh.ndjson): injected incidents with the entity keys an engine ' +
      'should flag, and benign events it must not alarm on. Times are ISO-8601 UTC, end exclusive.',
    generator: {
      command: 'npx tsx scripts/generate-recording.ts',
      seed: options.seed,
      start: new Date(options.startMs).toISOString(),
      hours: options.hours,
    },
    end: new Date(endMs).toISOString(),
    entityKeys: {
      workload: 'workload:<namespace>/<app>',
      pod: 'pod:<namespace>/<pod>',
      principal: 'principal:<client IP> or principal:<namespace>/<caller app>',
      model: 'model:<namespace>/<name>@<version>',
      edge: 'edge:<caller namespace>/<caller app> -> <callee service FQDN or external host>',
    },
    incidents: plan.incidents.map((x) => ({
      id: x.id,
      kind: x.kind,
      description: x.description,
      entities: x.entities,
      related: x.related,
      signals: x.signals,
      start: x.start,
      end: x.end,
    })),
    benign: benignEvents(topology),
  };
}

/**
 * Generates the recording and hands the NDJSON text to `write` in chunks (each ending with a
 * newline). Deterministic: the same options give the same bytes.
 */
export function generateRecording(options: RecordingOptions, write: (chunk: string) => void): RecordingResult {
  const { seed, startMs } = options;
  const minutes = Math.round(options.hours * 60);
  const durationMs = minutes * 60_000;
  const endMs = startMs + durationMs;
  const topology = buildTopology(seed, startMs, durationMs);
  const plan = planIncidents(topology, startMs, durationMs);
  const buffer = new MessageBuffer(topology.proxyDigests);
  const stats = new ModelStats(startMs);
  const clients = new ClientPicker(topology.clients);
  const appLines = proxyLifecycleLines(topology, seed);
  let nextAppLine = 0;

  for (let m = 0; m < minutes; m++) {
    const minuteStart = startMs + m * 60_000;
    const minuteEnd = minuteStart + 60_000;
    const base = { topology, buffer, plan, stats, clients, arrivalsScale: options.arrivalsScale ?? 1 };
    // Separate streams, so incidents never change what the benign traffic looks like.
    const benign: TrafficContext = { ...base, rng: new Prng(seed, `traffic/${m}`) };
    benignMinute(benign, minuteStart);
    incidentMinute({ ...base, rng: new Prng(seed, `incident/${m}`) }, minuteStart);

    const lifecycleRng = new Prng(seed, `proxy-lifecycle/${m}`);
    for (let line = appLines[nextAppLine]; line !== undefined && line.atMs < minuteEnd; line = appLines[++nextAppLine]) {
      buffer.proxyAppLog(lifecycleRng, line.pod, line.text, line.atMs);
    }

    const telemetryRng = new Prng(seed, `telemetry/${m}`);
    const served = stats.takeMinute(m);
    for (const pod of activePods(topology, 'inference', minuteEnd - 1)) {
      const record = telemetryRecord(telemetryRng, plan, pod, minuteEnd, served.get(pod.name));
      buffer.record('model-telemetry', record, minuteEnd + telemetryRng.uniform(1_500, 4_000));
    }
    if ((m + 1) % DRIFT_WINDOW_MINUTES === 0) {
      const driftRng = new Prng(seed, `drift/${m}`);
      const rows = stats.takeWindow(Math.floor(m / DRIFT_WINDOW_MINUTES));
      const arrival = minuteEnd + driftRng.uniform(20_000, 45_000);
      for (const record of driftRecords(driftRng, plan, minuteEnd, rows)) buffer.record('drift-metric', record, arrival);
    }
    buffer.flush(minuteEnd, write);
  }
  buffer.flush(Number.POSITIVE_INFINITY, write);

  const totalMessages = Object.values(buffer.counts.messages).reduce((a, b) => a + b, 0);
  return { counts: buffer.counts, totalMessages, incidentsFile: incidentsFile(options, endMs, plan, topology) };
}

/** Renders `incidents.json`. */
export function renderIncidentsFile(file: IncidentsFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
