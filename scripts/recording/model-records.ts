/**
 * Model telemetry (`model_telemetry.v1`) and drift metrics (`drift_metric.v1`) as the bridges
 * from the serving system and the drift job publish them (input-formats.md §3.3). Telemetry is
 * computed from the predictions the generated traffic actually made, so its counts and latencies
 * agree with the access logs of the inference pods.
 */
import { DRIFTING_FEATURES, type IncidentPlan, MODEL } from './incident-schedule.js';
import type { Prng } from './prng.js';
import type { PodInfo } from './topology.js';

/** Predictions of one inference pod in one minute. */
interface PodMinute {
  readonly latenciesMs: number[];
  failures: number;
}

/** Minute and window length of the drift job. */
export const DRIFT_WINDOW_MINUTES = 10;

/** Collects predictions per pod and minute, and per drift window. */
export class ModelStats {
  private readonly minutes = new Map<number, Map<string, PodMinute>>();
  private readonly windows = new Map<number, number>();

  constructor(private readonly startMs: number) {}

  /** Records one prediction request served by `pod`. */
  addPrediction(pod: PodInfo, atMs: number, latencyMs: number, ok: boolean): void {
    const minute = Math.floor((atMs - this.startMs) / 60_000);
    let pods = this.minutes.get(minute);
    if (pods === undefined) {
      pods = new Map();
      this.minutes.set(minute, pods);
    }
    let stats = pods.get(pod.name);
    if (stats === undefined) {
      stats = { latenciesMs: [], failures: 0 };
      pods.set(pod.name, stats);
    }
    stats.latenciesMs.push(latencyMs);
    if (!ok) stats.failures++;
    const window = Math.floor(minute / DRIFT_WINDOW_MINUTES);
    this.windows.set(window, (this.windows.get(window) ?? 0) + 1);
  }

  /** Removes and returns the statistics of one minute. */
  takeMinute(minute: number): ReadonlyMap<string, PodMinute> {
    const pods = this.minutes.get(minute) ?? new Map<string, PodMinute>();
    this.minutes.delete(minute);
    return pods;
  }

  /** Removes and returns the number of predictions of one drift window. */
  takeWindow(window: number): number {
    const n = this.windows.get(window) ?? 0;
    this.windows.delete(window);
    return n;
  }
}

function quantile(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? 0;
}

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** Mean prediction confidence the model produces at `atMs`. */
function expectedConfidence(plan: IncidentPlan, atMs: number): number {
  if (plan.active('confidence-collapse', atMs)) return 0.45;
  // A slight daily rhythm: night traffic has a different mix of merchants.
  const hour = (atMs / 3_600_000) % 24;
  return 0.92 + 0.008 * Math.sin((2 * Math.PI * hour) / 24);
}

/**
 * The `interval` record of one inference pod for the minute ending at `endMs`: counts, latency
 * quantiles of the requests it served, and their mean prediction confidence.
 */
export function telemetryRecord(
  rng: Prng,
  plan: IncidentPlan,
  pod: PodInfo,
  endMs: number,
  stats: PodMinute | undefined,
): Record<string, unknown> {
  const requests = stats?.latenciesMs.length ?? 0;
  const failures = stats?.failures ?? 0;
  const record: Record<string, unknown> = {
    schema: 'model_telemetry.v1',
    ts: new Date(endMs).toISOString(),
    kind: 'interval',
    window_s: 60,
    model: {
      name: MODEL.name,
      version: MODEL.version,
      namespace: MODEL.namespace,
      serving_system: 'kserve',
      component: 'predictor',
      pod: pod.name,
    },
    counts: { requests, success: requests - failures, failure: failures },
  };
  if (stats !== undefined && requests > 0) {
    const sorted = [...stats.latenciesMs].sort((a, b) => a - b);
    record.latency_ms = {
      p50: round(quantile(sorted, 0.5), 1),
      p95: round(quantile(sorted, 0.95), 1),
      p99: round(quantile(sorted, 0.99), 1),
    };
    const succeeded = requests - failures;
    if (succeeded > 0) {
      // The spread of a mean over n predictions shrinks with sqrt(n).
      const mean = expectedConfidence(plan, endMs - 30_000) + (0.04 / Math.sqrt(succeeded)) * rng.normal();
      record.prediction = { confidence: round(Math.min(1, Math.max(0, mean)), 4) };
    }
  }
  return record;
}

/** The features the drift job watches, with the median PSI each shows in normal operation. */
const FEATURES: readonly (readonly [string, number])[] = [
  ['amount', 0.035],
  ['merchant_category', 0.045],
  ['tx_hour', 0.06],
  ['distance_from_home_km', 0.03],
  ['card_age_days', 0.02],
  ['device_risk_score', 0.04],
];

/** PSI threshold configured in the drift job. */
export const PSI_THRESHOLD = 0.2;

/**
 * The drift records of the window ending at `endMs`, one per feature: Evidently's PSI against
 * the training reference. Normal statistics wobble well under the threshold; during the
 * feature-drift incident the drifting features jump to 0.3-0.6.
 */
export function driftRecords(
  rng: Prng,
  plan: IncidentPlan,
  endMs: number,
  currentRows: number,
): Record<string, unknown>[] {
  const startMs = endMs - DRIFT_WINDOW_MINUTES * 60_000;
  const drifting = plan.active('feature-drift', startMs);
  return FEATURES.map(([feature, median]) => {
    const jumps = drifting && (DRIFTING_FEATURES as readonly string[]).includes(feature);
    const statistic = jumps ? rng.uniform(0.3, 0.6) : Math.min(0.14, rng.logNormal(median, 0.3));
    return {
      schema: 'drift_metric.v1',
      ts: new Date(endMs).toISOString(),
      model: { name: MODEL.name, version: MODEL.version, namespace: MODEL.namespace },
      window: {
        start: new Date(startMs).toISOString(),
        end: new Date(endMs).toISOString(),
        n_reference: 20000,
        n_current: currentRows,
      },
      tool: 'evidently',
      tool_version: '0.4.33',
      feature,
      method: 'psi',
      statistic: round(statistic, 4),
      p_value: null,
      threshold: PSI_THRESHOLD,
      threshold_kind: 'distance_above',
      drift_detected: statistic > PSI_THRESHOLD,
    };
  });
}
