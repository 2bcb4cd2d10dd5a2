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

/**
 * How the line reached us. `docker-json` is the json-file log driver's `{"log": ...}` line, which
 * some shippers forward unchanged.
 */
export type Envelope = 'raw' | 'fluent-bit' | 'vector' | 'otlp-json' | 'docker-json';

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
  /**
   * For outbound clusters: the destination service FQDN, e.g. `httpbin.foo.svc.cluster.local`.
   * For inbound clusters: the FQDN the client addressed, read from the mTLS SNI
   * (`outbound_.<port>_.<subset>_.<fqdn>`) when there is one.
   */
  readonly destinationService?: string;
  /**
   * Namespace of the destination service: the 2nd label of a `<service>.<namespace>.svc.<domain>`
   * FQDN. Absent for hosts outside the cluster (ServiceEntry hosts such as `edition.cnn.com`).
   */
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
    /** Inferences performed (Triton `nv_inference_count`: one per batch element). */
    readonly inferences?: number;
    /** Model executions (Triton `nv_inference_exec_count`: one per batch). */
    readonly executions?: number;
  };
  readonly latencyMs?: {
    readonly total?: number;
    readonly queue?: number;
    readonly preprocess?: number;
    readonly predict?: number;
    readonly postprocess?: number;
    readonly p50?: number;
    readonly p95?: number;
    readonly p99?: number;
  };
  readonly prediction?: {
    readonly label?: string;
    readonly score?: number;
    /** Per-class scores, in the model's class order. */
    readonly scores?: readonly number[];
    /** In [0, 1]. */
    readonly confidence?: number;
  };
  /** Present when the record arrived inside a log shipper envelope. */
  readonly kubernetes?: KubernetesMeta;
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
  readonly toolVersion?: string;
  /** How `threshold` is applied: drift when p < threshold, statistic > threshold, or outside the band. */
  readonly thresholdKind?: 'p_value_below' | 'distance_above' | 'outside_band';
  readonly upperThreshold?: number;
  readonly lowerThreshold?: number;
  /** The data window the statistic was computed over (epoch ms), e.g. a NannyML chunk. */
  readonly window?: {
    readonly start?: number;
    readonly end?: number;
    readonly chunkKey?: string;
    readonly nReference?: number;
    readonly nCurrent?: number;
  };
  /** Dataset-level summary (Evidently `DataDriftTable`), usually on the `__dataset__` feature. */
  readonly dataset?: {
    readonly numberOfColumns?: number;
    readonly numberOfDriftedColumns?: number;
    readonly shareOfDriftedColumns?: number;
    readonly driftShare?: number;
  };
  /** Present when the record arrived inside a log shipper envelope. */
  readonly kubernetes?: KubernetesMeta;
  readonly origin: RecordOrigin;
}

/** Falco's priorities, lowercase, most severe first. */
export type FalcoPriority = 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'informational' | 'debug';

/**
 * One Falco alert (Falco's JSON output, or Falcosidekick's payload). `rule` and `priority` are
 * Falco's verdict; `pod` is the pod Falco attributed the event to; `fields` is evidence written by
 * the process Falco caught (escaped and capped), never used to name or choose anything.
 */
export interface FalcoEventRecord {
  readonly kind: 'falco-event';
  readonly envelope: Envelope;
  /** Epoch milliseconds of Falco's `time`. */
  readonly timestamp: number;
  readonly rule: string;
  readonly priority: FalcoPriority;
  readonly source?: string;
  readonly tags: readonly string[];
  /** The node Falco ran on. */
  readonly hostname?: string;
  /** From `k8s.ns.name` / `k8s.pod.name`; absent for a host event or a value that is not a name. */
  readonly pod?: { readonly namespace: string; readonly name: string };
  readonly containerId?: string;
  /** Selected output fields (`proc.cmdline`, `fd.name`, `user.name`...), escaped and capped. */
  readonly fields: Readonly<Record<string, string>>;
  /** How many output fields were not kept. */
  readonly droppedFields: number;
  readonly origin: RecordOrigin;
}

export type ParsedRecord = AccessLogRecord | ModelTelemetryRecord | DriftMetricRecord | FalcoEventRecord;

/**
 * The stable reason classes of dead letters. `DeadLetter.code` stays a plain string so that a new
 * class is not a breaking change for consumers; the parsers only ever emit these.
 */
export type DeadLetterCode =
  /** Over the byte limit; not parsed at all. */
  | 'oversized'
  /** Empty or whitespace-only message or line. */
  | 'empty'
  /** Starts like JSON but is not. */
  | 'invalid-json'
  /** An OTLP-JSON batch whose structure cannot be walked, or that holds no log record. */
  | 'invalid-batch'
  /** Not a format we know. */
  | 'unknown-shape'
  /** A pre-1.9 Istio access log line (no RESPONSE_CODE_DETAILS). */
  | 'legacy-format'
  /** An Istio access log line whose leading `[START_TIME]` was cut off. */
  | 'missing-start-time'
  /** A pilot-agent or Envoy application log line from the istio-proxy container. */
  | 'not-access-log'
  /** A recognised access log with a field that cannot be read (bad number, bad timestamp...). */
  | 'invalid-field'
  /** A telemetry or drift record that breaks its schema (unknown key, wrong type, missing key). */
  | 'schema-violation'
  /** A parser bug caught by the last-resort guard; never expected (the fuzz tests check it). */
  | 'internal-error'
  /** (Pipeline) For a window already closed: older than event time minus the allowed lateness. */
  | 'late'
  /** (Pipeline) Too far ahead of the engine's clock or of its source's watermark. */
  | 'future';

/** A record the parsers could not accept, with the reason and the original bytes. */
export interface DeadLetter {
  readonly reason: string;
  /** Stable machine-readable reason class, e.g. `oversized`, `unknown-shape`, `invalid-json`. */
  readonly code: string;
  /**
   * The text that could not be parsed: the whole message, or for a line inside an envelope, that
   * line (the envelope's metadata is kept in `envelope` and `kubernetes`).
   */
  readonly raw: string;
  readonly origin: RecordOrigin;
  /** Set when the bad line came out of a log shipper envelope. */
  readonly envelope?: Envelope;
  /** Set when the envelope carried Kubernetes metadata: tells which pod emits the bad lines. */
  readonly kubernetes?: KubernetesMeta;
  /** 0-based index of the log record inside an OTLP-JSON batch. */
  readonly recordIndex?: number;
}

/**
 * A dead letter as it leaves the engine (dead-letter file, dead-letter topic): the original text
 * is cut to a bounded prefix, with the full length and hash to find and verify it at its source.
 * One message yields at most one copy of its text however many records it held: the other letters
 * of the same message leave `raw` out and point at the copy through `rawSha256`.
 */
export interface StoredDeadLetter extends Omit<DeadLetter, 'raw'> {
  /** The beginning of the original text (at most the sink's prefix size); absent when an earlier letter of the same message carries it. */
  readonly raw?: string;
  /** UTF-8 length of the original text. */
  readonly rawBytes: number;
  /** Hex SHA-256 of the original text (UTF-8). */
  readonly rawSha256: string;
  /** `raw` holds only the beginning of the original text. */
  readonly rawTruncated: boolean;
}

/** What parsing one input message yields: a message may carry several records (OTLP batches). */
export interface ParseOutcome {
  readonly records: readonly ParsedRecord[];
  readonly deadLetters: readonly DeadLetter[];
}
