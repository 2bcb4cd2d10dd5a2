import type { Logger } from '../shared/logger.js';
import { describeSafely } from '../shared/safe-error.js';
import { RetryAbortedError, retryWithBackoff, type RetryPolicy } from '../shared/retry.js';
import type { EngineMetrics } from '../server/metrics.js';

/** What happened to queued items, as `meshwarden_output_deliveries_total` counts them. */
export type DeliveryOutcome = 'delivered' | 'retried' | 'failed' | 'dropped' | 'dead-lettered';

/** The metrics an output counts in. */
export type OutputMetrics = Pick<EngineMetrics, 'outputDeliveries' | 'outputQueue'>;

/** What a {@link DeliveryQueue} needs. */
export interface DeliveryQueueOptions<T> {
  /** The output's name, as metrics and logs say it: `alertmanager`, `webhook`, `kubernetes-events`. */
  readonly output: string;
  readonly maxQueue: number;
  /** Items handed to one `deliver` call. */
  readonly maxBatch: number;
  /** Delivers a batch; throws an error whose `retriable` flag says whether to try again. */
  readonly deliver: (items: readonly T[], signal: AbortSignal) => Promise<void>;
  readonly policy: RetryPolicy;
  readonly logger: Logger;
  readonly metrics: OutputMetrics;
  /**
   * Items given up on: after the last attempt, or still queued when the queue stops. Without it
   * they are counted as `failed` and logged; with it as `dead-lettered`.
   */
  readonly giveUp?: (items: readonly T[], reason: string) => Promise<void>;
  /** Jitter source for the backoff, injected so tests know the delays. */
  readonly random?: () => number;
}

/**
 * A bounded queue with one worker that delivers beside the stream: `push` returns at once, so a
 * slow or dead receiver never holds detection back. Items are keyed: a newer item with the key of
 * one still waiting replaces it in its place (an incident updated ten times while the receiver is
 * down is sent once, as it is now). Past `maxQueue` the oldest waiting item is dropped and counted.
 * Failed deliveries are retried with the engine's one retry policy (`src/shared/retry.ts`).
 */
export class DeliveryQueue<T> {
  private readonly pending = new Map<string, T>();
  private worker: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(private readonly options: DeliveryQueueOptions<T>) {}

  /** Queues `item` under `key` (replacing a waiting item with that key) and wakes the worker. */
  push(key: string, item: T): void {
    if (this.stopped) {
      this.count('dropped', 1);
      return;
    }
    if (!this.pending.has(key) && this.pending.size >= this.options.maxQueue) {
      const oldest = this.pending.keys().next();
      if (oldest.done !== true) {
        this.pending.delete(oldest.value);
        this.count('dropped', 1);
        this.options.logger.warn({ output: this.options.output, maxQueue: this.options.maxQueue }, `${this.options.output} output: queue full, the oldest waiting delivery was dropped`);
      }
    }
    this.pending.set(key, item);
    this.gauge();
    this.worker ??= this.work().finally(() => {
      this.worker = undefined;
      // An item pushed while the worker was finishing its last batch.
      if (this.pending.size > 0 && !this.stopped) this.push(...this.shift());
    });
  }

  /** Items waiting (not counting a batch being delivered). */
  get size(): number {
    return this.pending.size;
  }

  /** Resolves once nothing is waiting or being delivered. */
  async idle(): Promise<void> {
    while (this.worker !== undefined) await this.worker;
  }

  /**
   * Stops: abandons the delivery in flight (its wait between attempts, and the request through
   * `signal`) and gives up on everything still waiting, so nothing queued is lost unsaid.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.idle();
    const left = [...this.pending.values()];
    this.pending.clear();
    this.gauge();
    if (left.length > 0) await this.abandon(left, 'the engine stopped before it was delivered');
  }

  private async work(): Promise<void> {
    while (this.pending.size > 0 && !this.stopped) {
      const batch: T[] = [];
      for (const [key, item] of this.pending) {
        if (batch.length >= this.options.maxBatch) break;
        batch.push(item);
        this.pending.delete(key);
      }
      this.gauge();
      try {
        await retryWithBackoff(() => this.options.deliver(batch, this.abort.signal), {
          what: `delivering to the ${this.options.output} output`, logger: this.options.logger, policy: this.options.policy, signal: this.abort.signal,
          onFailure: (failure) => { if (failure.retryInMs !== undefined) this.count('retried', batch.length); },
          ...(this.options.random ? { random: this.options.random } : {}),
        });
        this.count('delivered', batch.length);
      } catch (error) {
        const reason = error instanceof RetryAbortedError ? 'the engine stopped before it was delivered' : describeSafely(error);
        await this.abandon(batch, reason);
      }
    }
  }

  private async abandon(items: readonly T[], reason: string): Promise<void> {
    const giveUp = this.options.giveUp;
    if (giveUp === undefined) {
      this.count('failed', items.length);
      this.options.logger.error({ output: this.options.output, items: items.length }, `${this.options.output} output: gave up on ${items.length} deliveries: ${reason}`);
      return;
    }
    try {
      await giveUp(items, reason);
      this.count('dead-lettered', items.length);
    } catch (error) {
      this.count('failed', items.length);
      this.options.logger.error({ output: this.options.output, items: items.length, err: describeSafely(error) }, `${this.options.output} output: could not dead-letter ${items.length} undelivered items`);
    }
  }

  /** Never called with an empty queue (see `push`). */
  private shift(): [string, T] {
    const first = this.pending.entries().next();
    if (first.done === true) throw new Error('empty delivery queue');
    this.pending.delete(first.value[0]);
    return first.value;
  }

  private count(outcome: DeliveryOutcome, n: number): void {
    if (n > 0) this.options.metrics.outputDeliveries.inc({ output: this.options.output, outcome }, n);
  }

  private gauge(): void {
    this.options.metrics.outputQueue.set({ output: this.options.output }, this.pending.size);
  }
}
