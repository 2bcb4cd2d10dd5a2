import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { RetryPolicy } from '../shared/retry.js';
import { alertLabels, incidentAlert, type AlertmanagerAlert } from './alertmanager-alert.js';
import { DeliveryQueue, type OutputMetrics } from './delivery-queue.js';
import type { IncidentSink, IncidentView } from './incident-sink.js';
import type { AlertmanagerOutputConfig } from './outputs-config.js';
import { postJson } from './post-json.js';

/** Alerts per POST: Alertmanager takes a list; a resend of many open incidents goes in few requests. */
const MAX_BATCH = 64;

/** Each post says the alert ends this many resend intervals later (what Prometheus does). */
const RESENDS_BEFORE_EXPIRY = 4;

/** Retries of one batch: a few, quickly; the next resend brings an open incident back anyway. */
const ALERTMANAGER_RETRY: RetryPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, maxAttempts: 4 };

/** What {@link AlertmanagerOutput} needs. */
export interface AlertmanagerOutputDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: OutputMetrics;
  readonly retry?: RetryPolicy;
  readonly random?: () => number;
}

interface OpenAlert {
  /** Fixed at open: Alertmanager tells alerts apart by their labels. */
  readonly labels: Readonly<Record<string, string>>;
  incident: IncidentView;
  /** Wall-clock time of the last change the stream reported. */
  touched: number;
}

/**
 * Posts each incident to Alertmanager's v2 API as one alert: when it opens, when it changes, again
 * every `resendInterval` while it stays open (each post moves `endsAt` a few intervals ahead, so
 * the alert outlives no engine that stopped sending), and with `endsAt` now when it closes.
 *
 * Bounded: open incidents past `maxOpen` and those the stream has not touched for
 * `staleAfterMs` (their partition moved to another replica, which re-opens them) stop being
 * re-sent, and Alertmanager resolves them at their last `endsAt`.
 */
export class AlertmanagerOutput implements IncidentSink {
  private readonly open = new Map<string, OpenAlert>();
  private readonly queue: DeliveryQueue<AlertmanagerAlert>;
  private readonly endpoint: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: AlertmanagerOutputConfig & { readonly url: string },
    private readonly deps: AlertmanagerOutputDeps,
    /** Quiet time after which an open incident is no longer re-sent (the incident resolve time and a margin). */
    private readonly staleAfterMs: number,
  ) {
    this.endpoint = `${config.url.replace(/\/+$/, '')}/api/v2/alerts`;
    this.queue = new DeliveryQueue<AlertmanagerAlert>({
      output: 'alertmanager', maxQueue: config.maxQueue, maxBatch: MAX_BATCH, logger: deps.logger, metrics: deps.metrics,
      policy: deps.retry ?? ALERTMANAGER_RETRY, ...(deps.random ? { random: deps.random } : {}),
      deliver: (alerts, signal) => postJson({ url: this.endpoint, body: JSON.stringify(alerts), timeoutMs: config.timeout, signal }),
    });
  }

  opened(incident: IncidentView): void {
    const existing = this.open.get(incident.id);
    if (existing === undefined && this.open.size >= this.config.maxOpen) {
      const oldest = this.open.keys().next();
      if (oldest.done !== true) this.open.delete(oldest.value);
    }
    const entry: OpenAlert = { labels: existing?.labels ?? alertLabels(incident, this.config.labels), incident, touched: this.deps.clock.now() };
    this.open.set(incident.id, entry);
    this.send(entry, false);
  }

  updated(incident: IncidentView): void {
    const entry = this.open.get(incident.id);
    // An incident opened before a restart or a rebalance: it is this replica's now.
    if (entry === undefined) {
      this.opened(incident);
      return;
    }
    entry.incident = incident;
    entry.touched = this.deps.clock.now();
    this.send(entry, false);
  }

  closed(incident: IncidentView): void {
    const entry = this.open.get(incident.id);
    this.open.delete(incident.id);
    this.send({ labels: entry?.labels ?? alertLabels(incident, this.config.labels), incident, touched: this.deps.clock.now() }, true);
  }

  /** Re-sends every open incident's alert; forgets the ones the stream stopped touching. */
  resend(): void {
    const now = this.deps.clock.now();
    for (const [id, entry] of this.open) {
      if (now - entry.touched > this.staleAfterMs) {
        this.open.delete(id);
        continue;
      }
      this.send(entry, false);
    }
  }

  /** Starts re-sending every `resendInterval`. */
  start(): void {
    this.timer ??= setInterval(() => { this.resend(); }, this.config.resendInterval);
    this.timer.unref();
  }

  /** Stops re-sending and abandons what is queued: Alertmanager resolves open alerts at their `endsAt`. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.queue.stop();
  }

  /** Resolves when nothing is waiting to be posted. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Open incidents whose alerts are re-sent. */
  get openIncidents(): number {
    return this.open.size;
  }

  private send(entry: OpenAlert, closed: boolean): void {
    const now = this.deps.clock.now();
    const endsAt = closed ? now : now + RESENDS_BEFORE_EXPIRY * this.config.resendInterval;
    this.queue.push(entry.incident.id, incidentAlert(entry.incident, entry.labels, { externalUrl: this.config.externalUrl, endsAt }));
  }
}
