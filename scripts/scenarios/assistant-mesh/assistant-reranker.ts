/**
 * The passage reranker's serving telemetry: each retriever pod scores the ~20 passages of every
 * query it serves with the reranker model it loads in-process (stable version r5). Twice a canary
 * version takes a tenth of the queries beside it, as a feature flag routes them: r6, which serves
 * 2.2 times slower (an incident), and r7, as good as r5 (benign). Drawn from a random stream of its
 * own, so the rest of the scenario is the same with or without it.
 */
import { Prng } from '../../recording/prng.js';
import type { PodInfo } from '../../recording/topology.js';
import { ASSIST_NAMESPACE } from './assistant-topology.js';
import { SCHEDULE, within } from './assistant-schedule.js';

export const RERANKER = 'passage-reranker';
export const RERANKER_STABLE = 'r5';
export const RERANKER_SLOW_CANARY = 'r6';
export const RERANKER_GOOD_CANARY = 'r7';
const PASSAGES_PER_QUERY = 20;
const CANARY_SHARE = 0.1;
const MEDIAN_MS = 14;
const FAILURE_SHARE = 0.005;

/** One version's inferences in one pod's minute. */
interface Served {
  readonly latencies: number[];
  failures: number;
}

/**
 * The reranker's interval records for the minute starting `offsetMs` after the scenario's start
 * (at `endMs`, the minute's end), one per retriever pod and version that served in it.
 */
export function rerankerTelemetry(seed: number, minute: number, offsetMs: number, endMs: number, queries: ReadonlyMap<PodInfo, number>): Record<string, unknown>[] {
  const rng = new Prng(seed, `assistant/reranker/${minute}`);
  const canary = within(offsetMs, SCHEDULE.rerankerCanary) ? RERANKER_SLOW_CANARY : within(offsetMs, SCHEDULE.benignCanary) ? RERANKER_GOOD_CANARY : undefined;
  const records: Record<string, unknown>[] = [];
  for (const [pod, count] of queries) {
    const served = new Map<string, Served>();
    for (let q = 0; q < count; q++) {
      const version = canary !== undefined && rng.chance(CANARY_SHARE) ? canary : RERANKER_STABLE;
      const slow = version === RERANKER_SLOW_CANARY ? 2.2 : 1;
      let entry = served.get(version);
      if (entry === undefined) {
        entry = { latencies: [], failures: 0 };
        served.set(version, entry);
      }
      for (let p = 0; p < PASSAGES_PER_QUERY; p++) {
        entry.latencies.push(rng.logNormal(MEDIAN_MS, 0.3) * slow);
        if (rng.chance(FAILURE_SHARE)) entry.failures++;
      }
    }
    for (const [version, entry] of served) records.push(record(pod, version, endMs, entry));
  }
  return records;
}

function record(pod: PodInfo, version: string, endMs: number, served: Served): Record<string, unknown> {
  const sorted = [...served.latencies].sort((a, b) => a - b);
  const at = (q: number): number => Math.round((sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0) * 10) / 10;
  const n = sorted.length;
  return {
    schema: 'model_telemetry.v1', ts: new Date(endMs).toISOString(), kind: 'interval', window_s: 60,
    model: { name: RERANKER, version, namespace: ASSIST_NAMESPACE, serving_system: 'other', pod: pod.name },
    counts: { requests: n, success: n - served.failures, failure: served.failures, inferences: n },
    latency_ms: { p50: at(0.5), p95: at(0.95), p99: at(0.99) },
  };
}
