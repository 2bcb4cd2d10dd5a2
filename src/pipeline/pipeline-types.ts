/**
 * The values that cross the pipeline's stages and its callers: options, sinks, counters, state.
 */
import type { Anomaly } from '../detect/anomaly.js';
import type { DetectorStateSnapshot } from '../detect/detector-state.js';
import { DEFAULT_EVENT_TIME_OPTIONS, type EventTimeOptions, type EventTimeSnapshot } from '../features/event-time-guard.js';
import { DEFAULT_FEATURE_OPTIONS, type FeatureExtractorOptions, type FeatureSnapshot } from '../features/feature-extractor.js';
import { DEFAULT_DEAD_LETTER_PREFIX_BYTES } from '../parse/compact-dead-letter.js';
import type { StoredDeadLetter } from '../parse/records.js';
import type { BreakerIncident, OpenedBreaker } from '../playbook/breaker-incident.js';
import type { PlaybookEngineSnapshot } from '../playbook/playbook-engine.js';
import { DEFAULT_SAFETY_POLICY, type SafetyGuardSnapshot, type SafetyPolicy } from '../playbook/safety-guard.js';

/**
 * Where dead letters go; the embedded mode writes a file, the cluster service a Kafka topic. Letters
 * arrive bounded (a prefix of the original text, its length and hash, one copy per message).
 */
export interface DeadLetterSink {
  add(letter: StoredDeadLetter): void;
}

/** Where ledger records go. */
export interface LedgerSink {
  append(type: 'run' | 'anomaly' | 'incident' | 'case' | 'decision' | 'action' | 'refusal', data: unknown): unknown;
  flush(): Promise<void>;
}

/** Settings of one pipeline. */
export interface PipelineOptions {
  readonly features: FeatureExtractorOptions;
  readonly dryRun: boolean;
  readonly safety: SafetyPolicy;
  /** Quiet time after which an incident resolves. */
  readonly resolveAfterMs: number;
  readonly maxMessageBytes: number;
  /** Event-time admission: future bound, per-source watermarks (see `EventTimeGuard`). */
  readonly eventTime: EventTimeOptions;
  /** Bytes of the original text a dead letter keeps. */
  readonly deadLetterPrefixBytes: number;
  /** Keep anomalies, actions and incidents in memory for a report (replays); off in the service. */
  readonly collect: boolean;
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  features: DEFAULT_FEATURE_OPTIONS,
  dryRun: true,
  safety: DEFAULT_SAFETY_POLICY,
  resolveAfterMs: 10 * 60_000,
  maxMessageBytes: 1024 * 1024,
  eventTime: DEFAULT_EVENT_TIME_OPTIONS,
  deadLetterPrefixBytes: DEFAULT_DEAD_LETTER_PREFIX_BYTES,
  collect: true,
};

/** Where anomalies go besides the ledger (the service's anomalies topic). */
export interface AnomalySink {
  add(anomaly: Anomaly): void;
}

/** Running totals of one pipeline. */
export interface PipelineCounters {
  messages: number;
  records: number;
  parsed: number;
  deadLettered: number;
  /** Records for windows already closed (dead-lettered as `late`). */
  late: number;
  /** Records too far ahead of the engine's clock or of their source (dead-lettered as `future`). */
  future: number;
  unattributed: number;
  windows: number;
}

/** Everything a pipeline keeps across restarts besides the ledger. */
export interface PipelineState {
  /** Event-time progress (JSON turns the initial -Infinity into null: absent means none yet). */
  readonly clock?: { readonly closedUpTo: number | null; readonly maxTimestamp: number | null };
  /** Confirmed per-source watermarks (absent: every source starts again). */
  readonly eventTime?: EventTimeSnapshot;
  /** Pod addresses, logging pods and caller -> callee edges learned so far (absent: start empty). */
  readonly features?: FeatureSnapshot;
  readonly detectors?: DetectorStateSnapshot;
  readonly playbooks?: PlaybookEngineSnapshot;
  readonly safety?: SafetyGuardSnapshot;
}

/** A detector breaker that opened: automatic action on its anomalies is suspended. */
export type BreakerEvent = OpenedBreaker;

/** A resolved or still-open incident as reported (a breaker's incident has the same shape). */
export type IncidentSummary = BreakerIncident;
