/**
 * Generates the second scenario, minute by minute, as NDJSON in the order a consumer would read
 * it from Kafka (access logs in four shippers' envelopes, model telemetry, drift metrics), plus
 * its ground truth. Deterministic: the same seed, start and length give the same bytes.
 */
import type { AccessLogEntry } from '../../recording/access-log-entry.js';
import { MessageBuffer } from '../../recording/message-buffer.js';
import { Prng } from '../../recording/prng.js';
import type { PodInfo } from '../../recording/topology.js';
import { ASSISTANT_HOURS, ASSISTANT_SEED, ASSISTANT_START, SCHEDULE, scenarioTruth, within, type ScenarioBenignEvent, type ScenarioIncident } from './assistant-schedule.js';
import { ASSIST_NAMESPACE, buildAssistantTopology, podsOf, type AssistantTopology } from './assistant-topology.js';
import { rerankerTelemetry } from './assistant-reranker.js';
import { assistantMinute, incidentMinute, type AssistantContext, type EmbedderMinute } from './assistant-traffic.js';

/** What to generate. */
export interface AssistantOptions {
  readonly seed: number;
  readonly startMs: number;
  readonly hours: number;
}

export const DEFAULT_ASSISTANT_OPTIONS: AssistantOptions = { seed: ASSISTANT_SEED, startMs: Date.parse(ASSISTANT_START), hours: ASSISTANT_HOURS };

/** The ground truth written beside the scenario. */
export interface AssistantTruth {
  readonly description: string;
  readonly generator: { readonly command: string; readonly seed: number; readonly start: string; readonly hours: number };
  readonly incidents: readonly ScenarioIncident[];
  readonly benign: readonly ScenarioBenignEvent[];
}

const DRIFT_FEATURES = ['query_length', 'language', 'doc_age_days', 'topic_cluster'] as const;
const DRIFT_EVERY_MINUTES = 10;

/** A shipper that loses one node's lines for the length of its gap (the benign shipper outage). */
class GappyBuffer extends MessageBuffer {
  constructor(digests: Readonly<Record<string, string>>, private readonly lost: (pod: PodInfo, atMs: number) => boolean) {
    super(digests);
  }

  override accessLog(rng: Prng, pod: PodInfo, entry: AccessLogEntry, encoding: 'text' | 'json'): void {
    if (!this.lost(pod, entry.startMs)) super.accessLog(rng, pod, entry, encoding);
  }
}

/** Generates the scenario, handing NDJSON chunks to `write`; returns its ground truth and message count. */
export function generateAssistantMesh(options: AssistantOptions, write: (chunk: string) => void): { truth: AssistantTruth; messages: number } {
  const { seed, startMs } = options;
  const minutes = Math.round(options.hours * 60);
  const endMs = startMs + minutes * 60_000;
  const mesh = buildAssistantTopology(seed, startMs, endMs, { router: startMs + SCHEDULE.routerRollout, embedder: startMs + SCHEDULE.embedderRollout });
  const gapNode = mesh.nodes[2];
  const buffer = new GappyBuffer(mesh.proxyDigests, (pod, atMs) => pod.node === gapNode && within(atMs - startMs, SCHEDULE.shipperGap));
  const drift = { rows: 0 };
  for (let m = 0; m < minutes; m++) {
    const minuteStart = startMs + m * 60_000;
    const minuteEnd = minuteStart + 60_000;
    const embeds: EmbedderMinute = new Map();
    const queries = new Map<PodInfo, number>();
    const base = { topology: { publicHost: 'assistant.example.org' }, buffer, mesh, offsetMs: minuteStart - startMs, embeds, queries };
    // Separate streams, so the incidents never change what the benign traffic looks like.
    const benign: AssistantContext = { ...base, rng: new Prng(seed, `assistant/traffic/${m}`) };
    assistantMinute(benign, minuteStart);
    incidentMinute({ ...base, rng: new Prng(seed, `assistant/incident/${m}`) }, minuteStart);
    const telemetryRng = new Prng(seed, `assistant/telemetry/${m}`);
    for (const pod of podsOf(mesh, 'embedder', minuteEnd - 1)) {
      const served = embeds.get(pod) ?? [];
      drift.rows += served.length;
      buffer.record('model-telemetry', telemetry(mesh, pod, minuteEnd, served), minuteEnd + telemetryRng.uniform(1_000, 3_000));
    }
    const rerankRng = new Prng(seed, `assistant/reranker-arrival/${m}`);
    for (const record of rerankerTelemetry(seed, m, minuteStart - startMs, minuteEnd, queries)) buffer.record('model-telemetry', record, minuteEnd + rerankRng.uniform(1_000, 3_000));
    if ((m + 1) % DRIFT_EVERY_MINUTES === 0) {
      const driftRng = new Prng(seed, `assistant/drift/${m}`);
      const arrival = minuteEnd + driftRng.uniform(15_000, 40_000);
      for (const record of driftRecords(driftRng, mesh, minuteEnd, drift.rows)) buffer.record('drift-metric', record, arrival);
      drift.rows = 0;
    }
    buffer.flush(minuteEnd, write);
  }
  buffer.flush(Number.POSITIVE_INFINITY, write);
  const { incidents, benign } = scenarioTruth(mesh, startMs);
  const messages = Object.values(buffer.counts.messages).reduce((a, b) => a + b, 0);
  return {
    messages,
    truth: {
      description: 'Ground truth of the assistant-mesh scenario: injected incidents with the entity keys an engine should flag and the playbooks expected to respond, and benign events it must not alarm on. Times are ISO-8601 UTC, end exclusive.',
      generator: { command: 'npx tsx scripts/generate-assistant-mesh.ts', seed, start: new Date(startMs).toISOString(), hours: options.hours },
      incidents,
      benign,
    },
  };
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

/** The embedder's serving telemetry for one pod and minute, from the calls it served (one request may be the whole minute at night). */
function telemetry(mesh: AssistantTopology, pod: PodInfo, endMs: number, servedMs: readonly number[]): Record<string, unknown> {
  const version = mesh.rollouts.embedder.newPods.includes(pod) ? mesh.rollouts.embedder.newVersion : 'v7';
  const record: Record<string, unknown> = {
    schema: 'model_telemetry.v1', ts: new Date(endMs).toISOString(), kind: 'interval', window_s: 60,
    model: { name: 'text-embedder', version, namespace: ASSIST_NAMESPACE, serving_system: 'triton', pod: pod.name },
    counts: { requests: servedMs.length, success: servedMs.length, failure: 0, inferences: servedMs.length },
  };
  if (servedMs.length > 0) {
    const sorted = [...servedMs].sort((a, b) => a - b);
    record.latency_ms = { p50: round(quantile(sorted, 0.5), 1), p95: round(quantile(sorted, 0.95), 1), p99: round(quantile(sorted, 0.99), 1) };
  }
  return record;
}

/**
 * The drift job's records for the ten minutes ending at `endMs`: a KS test per feature (its
 * p-value under 0.05 about one time in twenty by chance) and a dataset-level record whose
 * drifted share is what those chance dips make it (0, 0.25, now and then 0.5).
 */
function driftRecords(rng: Prng, mesh: AssistantTopology, endMs: number, rows: number): Record<string, unknown>[] {
  const version = endMs >= mesh.rollouts.embedder.atMs ? mesh.rollouts.embedder.newVersion : 'v7';
  const window = { start: new Date(endMs - DRIFT_EVERY_MINUTES * 60_000).toISOString(), end: new Date(endMs).toISOString(), n_reference: 50_000, n_current: rows };
  const common = { schema: 'drift_metric.v1', ts: new Date(endMs).toISOString(), model: { name: 'text-embedder', version, namespace: ASSIST_NAMESPACE }, window, tool: 'evidently', tool_version: '0.6.7' };
  let drifted = 0;
  const perFeature = DRIFT_FEATURES.map((feature) => {
    const pValue = rng.next();
    const detected = pValue < 0.05;
    if (detected) drifted++;
    return { ...common, feature, method: 'ks', statistic: round(0.02 + (1 - pValue) * 0.05, 4), p_value: round(pValue, 4), threshold: 0.05, threshold_kind: 'p_value_below', drift_detected: detected };
  });
  const share = drifted / DRIFT_FEATURES.length;
  const dataset = {
    ...common, feature: '__dataset__', method: 'other', statistic: share, threshold: 0.5, drift_detected: share >= 0.5,
    dataset: { number_of_columns: DRIFT_FEATURES.length, number_of_drifted_columns: drifted, share_of_drifted_columns: share, drift_share: 0.5 },
  };
  return [...perFeature, dataset];
}
