import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { RetryPolicy } from '../shared/retry.js';
import type { Secret } from '../shared/secret.js';
import { incidentLink } from './alertmanager-alert.js';
import { DeliveryQueue, type OutputMetrics } from './delivery-queue.js';
import type { IncidentSink, IncidentView } from './incident-sink.js';
import type { OutputDeadLetters } from './output-dead-letters.js';
import type { WebhookOutputConfig } from './outputs-config.js';
import { postJson } from './post-json.js';
import { webhookPayload, type WebhookEvent } from './webhook-payload.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.js';

/** What {@link WebhookOutput} needs. */
export interface WebhookOutputDeps {
  readonly secret: Secret;
  readonly deadLetters: OutputDeadLetters;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: OutputMetrics;
  /** Link base for `incident.link` (the Alertmanager output's `externalUrl`). */
  readonly externalUrl?: string | undefined;
  /** Defaults to backoff from 1 s to 30 s over `maxAttempts` tries. */
  readonly retry?: RetryPolicy;
  readonly random?: () => number;
}

/** One queued delivery: the body is fixed when the event happens; only the signature is per attempt. */
interface Delivery {
  readonly event: WebhookEvent;
  readonly body: string;
}

/**
 * POSTs incident opened/updated/closed as signed JSON to one URL. Every attempt is signed afresh
 * (`X-Meshwarden-Timestamp`, `X-Meshwarden-Signature`: HMAC-SHA256 over `<timestamp>.<body>`), so
 * a retry is never refused as stale. Failed deliveries are retried with backoff; after the last
 * try the body goes to the dead-letter file with the reason. Updates of one incident still
 * waiting are merged into the latest; opened and closed are never merged away.
 */
export class WebhookOutput implements IncidentSink {
  private readonly queue: DeliveryQueue<Delivery>;

  constructor(
    private readonly config: WebhookOutputConfig & { readonly url: string },
    private readonly deps: WebhookOutputDeps,
  ) {
    this.queue = new DeliveryQueue<Delivery>({
      output: 'webhook', maxQueue: config.maxQueue, maxBatch: 1, logger: deps.logger, metrics: deps.metrics,
      policy: deps.retry ?? { initialDelayMs: 1_000, maxDelayMs: 30_000, maxAttempts: config.maxAttempts },
      ...(deps.random ? { random: deps.random } : {}),
      deliver: ([delivery], signal) => (delivery === undefined ? Promise.resolve() : this.post(delivery, signal)),
      giveUp: (deliveries, reason) => deps.deadLetters.add(deliveries.map((d) => ({ output: 'webhook', reason, body: d.body }))),
    });
  }

  opened(incident: IncidentView): void {
    this.push('incident.opened', incident, `${incident.id}/opened`);
  }

  updated(incident: IncidentView): void {
    this.push('incident.updated', incident, `${incident.id}/updated`);
  }

  closed(incident: IncidentView): void {
    this.push('incident.closed', incident, `${incident.id}/closed`);
  }

  /** Resolves when nothing is waiting to be posted. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Stops; what is still queued goes to the dead-letter file. */
  stop(): Promise<void> {
    return this.queue.stop();
  }

  private push(event: WebhookEvent, incident: IncidentView, key: string): void {
    const payload = webhookPayload(event, incident, this.deps.clock.now(), incidentLink(this.deps.externalUrl, incident.id));
    // Keyed by incident and event: a waiting update is replaced by a newer one; a closed incident is
    // never updated again (an incident that comes back is a new one, with a new id).
    this.queue.push(key, { event, body: JSON.stringify(payload) });
  }

  private async post(delivery: Delivery, signal: AbortSignal): Promise<void> {
    const timestamp = Math.floor(this.deps.clock.now() / 1000);
    await postJson({
      url: this.config.url, body: delivery.body, timeoutMs: this.config.timeout, signal,
      headers: {
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: webhookSignature(this.deps.secret, timestamp, delivery.body),
        'X-Meshwarden-Event': delivery.event,
      },
    });
  }
}
