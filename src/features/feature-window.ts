import type { Entity } from './entity.js';
import type { FalcoAlertSummary } from './falco-window-evidence.js';

/** The features of one entity over one closed window: what detectors score. */
export interface FeatureWindow {
  readonly entity: Entity;
  /** Epoch ms, inclusive. */
  readonly windowStart: number;
  /** Epoch ms, exclusive. */
  readonly windowEnd: number;
  /** Feature name -> value. Absent features were not observable in this window. */
  readonly features: Readonly<Record<string, number>>;
  /** Supporting detail per feature for evidence, e.g. the new edges behind `new_edges`. */
  readonly details: Readonly<Record<string, readonly string[]>>;
  /** The Falco rules that fired for the pod in this window (pod windows with Falco alerts only). */
  readonly falco?: readonly FalcoAlertSummary[];
}

/**
 * The feature catalogue: every name a detector may reference, with what it means. Detector files
 * are validated against it, so a typo fails `meshwarden check` instead of never firing.
 */
export const FEATURE_CATALOG = {
  requests: 'requests in the window',
  request_rate: 'requests per second',
  ratio_4xx: 'share of responses with status 400-499',
  ratio_5xx: 'share of responses with status 500-599 or no response (0) on HTTP',
  ratio_401_403: 'share of responses with status 401 or 403',
  ratio_flagged: 'share of requests with an Envoy response flag (UF, UC, NR, ...)',
  flagged: 'requests with an Envoy response flag',
  latency_p50: 'median request duration (ms)',
  latency_p95: '95th percentile request duration (ms)',
  latency_p99: '99th percentile request duration (ms)',
  bytes_in: 'bytes received from callers (inbound requests)',
  bytes_out: 'bytes sent back to callers (inbound responses)',
  egress_bytes: 'bytes the entity sent to its upstreams (outbound requests, TCP uploads)',
  distinct_peers: 'distinct callees contacted',
  distinct_paths: 'distinct request paths',
  new_edges: 'caller -> callee edges never seen before (after the learning period), except those of a rollout in its change window',
  rollout_edges: 'caller -> callee edges never seen before, made by pods of a revision first seen within the change window (a rollout\'s change, not an intrusion)',
  confidence_mean: 'mean prediction confidence of a model',
  model_latency_p95: 'model serving p95 latency (ms)',
  model_failure_ratio: 'share of failed inferences',
  model_requests: 'inferences in the window',
  model_predictions: 'predictions in the window that reported a confidence (what confidence_mean stands on)',
  drift_stat_max: 'largest drift statistic over the features of a model',
  drift_psi_max: 'largest PSI over the features of a model',
  drift_share: 'share of a model\'s features flagged as drifted',
  drift_statistics: 'per-feature drift statistics in the window (dataset-level summaries not counted)',
  drift_dataset_detected: '1 when a dataset-level drift verdict in the window said drift (Evidently dataset_drift, Alibi Detect MMD/LSDD), else 0',
  auth_failures: 'responses with status 401 or 403',
  distinct_failing_sources: 'distinct callers a workload refused with 401/403 at least once, across all principals (estimated beyond 1024)',
  refused_sources: 'callers of a workload every one of whose requests in the window was refused with 401/403',
  new_sources: 'callers a workload never served before (after the learning period; bounded memory of 1024 callers per workload)',
  new_failing_sources: 'callers a workload never served before that it refused with 401/403',
  falco_alerts: 'Falco alerts raised for the pod in the window',
  falco_priority_max: 'highest Falco priority among them, debug 0 to emergency 7 (-1 when none)',
} as const;

export type FeatureName = keyof typeof FEATURE_CATALOG;

export const FEATURE_NAMES = Object.keys(FEATURE_CATALOG) as FeatureName[];
