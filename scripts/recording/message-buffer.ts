/**
 * Collects the messages of the recording, wraps access-log lines in the envelope of the shipper
 * that reads them, and releases messages in the order they would reach Kafka.
 *
 * Envoy writes an access-log line when the request ends (and flushes its log buffer about once a
 * second), and each shipper adds its own delay, so the order of arrival differs from the order of
 * START_TIME by a few seconds: the same small disorder a consumer sees in production.
 */
import { type AccessLogEntry, formatIstioJson, formatText } from './access-log-entry.js';
import { EnvelopeRenderer, type OtlpLine } from './envelopes.js';
import type { Prng } from './prng.js';
import type { NodeInfo, PodInfo, Shipper } from './topology.js';

/** What kind of Kafka message a line of the recording is. */
export type MessageKind =
  | 'fluent-bit'
  | 'vector'
  | 'otlp-json'
  | 'raw-text'
  | 'raw-json'
  | 'model-telemetry'
  | 'drift-metric';

/** Counters reported at the end of a run. */
export interface MessageCounts {
  /** Messages (lines of the NDJSON file) by kind. */
  readonly messages: Record<MessageKind, number>;
  /** Access-log entries, whatever their envelope (an OTLP batch carries several). */
  readonly accessLogs: { text: number; json: number };
  /** `istio-proxy` lines that are not access logs (pilot-agent start-up and shutdown). */
  proxyAppLogs: number;
  /** Records inside OTLP batches. */
  otlpRecords: number;
}

interface PendingMessage {
  readonly emitMs: number;
  readonly seq: number;
  readonly value: string;
}

interface OtlpBucket {
  readonly flushMs: number;
  readonly lines: OtlpLine[];
}

/** The OpenTelemetry Collector's `batch` processor timeout configured on the OTLP nodes. */
const OTLP_BATCH_MS = 5_000;

/** Buffers generated messages and writes them out in arrival order. */
export class MessageBuffer {
  private pending: PendingMessage[] = [];
  private readonly otlpBuckets = new Map<string, OtlpBucket>();
  private seq = 0;
  private readonly envelopes: EnvelopeRenderer;
  readonly counts: MessageCounts = {
    messages: {
      'fluent-bit': 0,
      vector: 0,
      'otlp-json': 0,
      'raw-text': 0,
      'raw-json': 0,
      'model-telemetry': 0,
      'drift-metric': 0,
    },
    accessLogs: { text: 0, json: 0 },
    proxyAppLogs: 0,
    otlpRecords: 0,
  };

  /**
   * @param imageDigests proxy image digest per Istio version, for the envelopes' metadata.
   */
  constructor(imageDigests: Readonly<Record<string, string>>) {
    this.envelopes = new EnvelopeRenderer(imageDigests);
  }

  /**
   * Logs `entry` from `pod`'s sidecar in the given encoding and ships it through one of the
   * pipelines of the pod's node.
   */
  accessLog(rng: Prng, pod: PodInfo, entry: AccessLogEntry, encoding: 'text' | 'json'): void {
    const text = encoding === 'json' ? formatIstioJson(entry) : formatText(entry);
    this.counts.accessLogs[encoding]++;
    // Envoy flushes its access-log buffer about once a second after the request completes.
    const writtenMs = Math.floor(entry.startMs + entry.durationMs + rng.uniform(5, 1000));
    this.ship(rng, pod, text, writtenMs, encoding === 'json' ? 'raw-json' : 'raw-text');
  }

  /** Ships a non-access-log line the `istio-proxy` container printed (pilot-agent messages). */
  proxyAppLog(rng: Prng, pod: PodInfo, text: string, writtenMs: number): void {
    this.counts.proxyAppLogs++;
    // The runtime stamps the line just after the agent does.
    this.ship(rng, pod, text, Math.floor(writtenMs) + 1, 'raw-text');
  }

  /** Adds a message produced by a bridge (model telemetry, drift metrics) as it is. */
  record(kind: 'model-telemetry' | 'drift-metric', value: unknown, emitMs: number): void {
    this.push(kind, JSON.stringify(value), emitMs);
  }

  private ship(rng: Prng, pod: PodInfo, text: string, timeMs: number, rawKind: 'raw-text' | 'raw-json'): void {
    const extraNanos = rng.int(0, 999_999);
    const line = { pod, text, timeMs, extraNanos };
    const shipper: Shipper = rng.weighted(pod.node.shipping);
    switch (shipper) {
      case 'fluent-bit':
        this.push('fluent-bit', this.envelopes.fluentBit(line), timeMs + rng.uniform(300, 1500));
        return;
      case 'vector':
        this.push('vector', this.envelopes.vector(line), timeMs + rng.uniform(200, 1200));
        return;
      case 'raw':
        this.push(rawKind, text, timeMs + rng.uniform(100, 900));
        return;
      case 'otlp-json':
        this.addToOtlpBatch(pod.node, { ...line, observedMs: timeMs + rng.uniform(50, 400) }, rng);
        return;
    }
  }

  private addToOtlpBatch(node: NodeInfo, line: OtlpLine, rng: Prng): void {
    const index = Math.floor(line.observedMs / OTLP_BATCH_MS);
    const key = `${node.name}/${index}`;
    let bucket = this.otlpBuckets.get(key);
    if (bucket === undefined) {
      bucket = { flushMs: (index + 1) * OTLP_BATCH_MS + rng.uniform(20, 300), lines: [] };
      this.otlpBuckets.set(key, bucket);
    }
    bucket.lines.push(line);
    this.counts.otlpRecords++;
  }

  private push(kind: MessageKind, value: string, emitMs: number): void {
    this.counts.messages[kind]++;
    this.pending.push({ emitMs, seq: this.seq++, value });
  }

  /**
   * Writes, in arrival order, every message that reaches Kafka before `boundaryMs`. The caller
   * guarantees that nothing generated later arrives before the boundary.
   */
  flush(boundaryMs: number, write: (chunk: string) => void): void {
    for (const [key, bucket] of this.otlpBuckets) {
      if (bucket.flushMs < boundaryMs) {
        this.otlpBuckets.delete(key);
        this.push('otlp-json', this.envelopes.otlpBatch(bucket.lines), bucket.flushMs);
      }
    }
    const ready: PendingMessage[] = [];
    const later: PendingMessage[] = [];
    for (const m of this.pending) (m.emitMs < boundaryMs ? ready : later).push(m);
    this.pending = later;
    if (ready.length === 0) return;
    ready.sort((a, b) => a.emitMs - b.emitMs || a.seq - b.seq);
    let chunk = '';
    for (const m of ready) chunk += `${m.value}\n`;
    write(chunk);
  }
}
