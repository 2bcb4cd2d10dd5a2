/**
 * Typed records produced by the parsers at the edge. After parsing, no other stage sees raw bytes.
 */

/** Where a record came from: the Kafka topic or file, and its position there. */
export interface RecordOrigin {
  readonly source: string;
  /** Line number (files, 1-based) or Kafka offset. */
  readonly position: number;
}

/** Kubernetes metadata taken from a log shipper envelope (Fluent Bit, Vector, OTLP). */
export interface KubernetesMeta {
  readonly namespace?: string;
  readonly pod?: string;
  readonly container?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly node?: string;
}

export type Envelope = 'raw' | 'fluent-bit' | 'vector' | 'otlp-json';

/** One Envoy/Istio access-log entry (TEXT or JSON encoding), `-`/null mapped to undefined. */
export interface AccessLogRecord {
  readonly kind: 'access-log';
  readonly format: 'text' | 'json';
  readonly envelope: Envelope;
  /** Epoch milliseconds of START_TIME. */
  readonly timestamp: number;
  readonly method?: string;
  readonly path?: string;
  readonly protocol?: string;
  /** 0 when no response was sent (TCP, client went away). */
  readonly responseCode: number;
  /** Short codes, e.g. ['UF', 'URX']; empty when `-`. */
  readonly responseFlags: readonly string[];
  readonly responseCodeDetails?: string;
  readonly connectionTerminationDetails?: string;
  readonly upstreamTransportFailureReason?: string;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  /** Milliseconds. */
  readonly duration: number;
  readonly upstreamServiceTime?: number;
  readonly xForwardedFor?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
  readonly authority?: string;
  readonly upstreamHost?: string;
  readonly upstreamCluster?: string;
  /** Parsed from upstreamCluster: traffic direction of the logging sidecar. */
  readonly direction?: 'inbound' | 'outbound';
  /** For outbound clusters: the destination service FQDN, e.g. `httpbin.foo.svc.cluster.local`. */
  readonly destinationService?: string;
  /** Namespace of the destination service (2nd label of the FQDN). */
  readonly destinationNamespace?: string;
  readonly upstreamLocalAddress?: string;
  readonly downstreamLocalAddress?: string;
  readonly downstreamRemoteAddress?: string;
  readonly requestedServerName?: string;
  readonly routeName?: string;
  readonly kubernetes?: KubernetesMeta;
  readonly origin: RecordOrigin;
}

/** Model serving telemetry, per request or per interval (schema `model_telemetry.v1`). */
export interface ModelTelemetryRecord {
  readonly kind: 'model-telemetry';
  readonly timestamp: number;
  readonly granularity: 'request' | 'interval';
  readonly windowSeconds?: number;
  readonly model: {
    readonly name: string;
    readonly version?: string;
    readonly namespace?: string;
    readonly servingSystem?: 'kserve' | 'seldon' | 'triton' | 'bentoml' | 'mlserver' | 'other';
    readonly component?: 'predictor' | 'transformer' | 'explainer';
    readonly revision?: string;
    readonly pod?: string;
    readonly trafficPercent?: number;
  };
  readonly requestId?: string;
  readonly statusCode?: number;
  readonly counts?: {
    readonly requests?: number;
    readonly success?: number;
    readonly failure?: number;
  };
  readonly latencyMs?: {
    readonly total?: number;
    readonly p50?: number;
    readonly p95?: number;
    readonly p99?: number;
  };
  readonly prediction?: {
    readonly label?: string;
    readonly score?: number;
    /** In [0, 1]. */
    readonly confidence?: number;
  };
  readonly origin: RecordOrigin;
}

/** One drift statistic for one model feature over one window (schema `drift_metric.v1`). */
export interface DriftMetricRecord {
  readonly kind: 'drift-metric';
  readonly timestamp: number;
  readonly model: { readonly name: string; readonly version?: string; readonly namespace?: string };
  readonly tool?: 'evidently' | 'nannyml' | 'alibi-detect' | 'custom';
  /** Column name, or `__dataset__` / `__prediction__`. */
  readonly feature: string;
  readonly method:
    | 'psi' | 'ks' | 'chi2' | 'z' | 'wasserstein' | 'jensen_shannon' | 'hellinger'
    | 'l_infinity' | 'mmd' | 'cvm' | 'lsdd' | 'other';
  readonly statistic: number;
  readonly pValue?: number;
  readonly threshold?: number;
  readonly driftDetected: boolean;
  readonly shareOfDriftedColumns?: number;
  readonly origin: RecordOrigin;
}

export type ParsedRecord = AccessLogRecord | ModelTelemetryRecord | DriftMetricRecord;

/** A record the parsers could not accept, with the reason and the original bytes. */
export interface DeadLetter {
  readonly reason: string;
  /** Stable machine-readable reason class, e.g. `oversized`, `unknown-shape`, `invalid-json`. */
  readonly code: string;
  readonly raw: string;
  readonly origin: RecordOrigin;
}

/** What parsing one input message yields: a message may carry several records (OTLP batches). */
export interface ParseOutcome {
  readonly records: ParsedRecord[];
  readonly deadLetters: DeadLetter[];
}
