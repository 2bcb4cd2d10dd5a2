import { Kafka, logLevel, type Admin, type Consumer, type KafkaConfig, type Producer } from 'kafkajs';
import { kafkaConnectError } from '../kafka/kafka-connect-error.js';
import { describeSafely } from '../shared/safe-error.js';
import type { Logger } from '../shared/logger.js';
import { describeFailedAttempt, retryWithBackoff } from '../shared/retry.js';

/**
 * The service's Kafka clients and their connection state (for readiness). Connecting is one
 * attempt retried by the backend retry policy until it succeeds or the signal aborts.
 */
export class KafkaConnection {
  /** The connection state while the service starts, for readiness. */
  private state = 'not connected yet';

  constructor(
    private readonly config: KafkaConfig,
    readonly admin: Admin,
    readonly producer: Producer,
    readonly consumer: Consumer,
    private readonly logger: Logger,
  ) {}

  /**
   * Connects the admin client, `prepare` (the output topics), the producer and the consumer. A
   * throwaway client without kafkajs's own retries probes the brokers first, so one attempt
   * against a dead broker takes about a second, not ~11 s.
   */
  async connect(prepare: () => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    const brokers = this.config.brokers;
    const list = Array.isArray(brokers) ? brokers : ['(discovered)'];
    await retryWithBackoff(async () => {
      try {
        // kafkajs applies the client's retry settings to connecting, whatever the admin client's say.
        const probe = new Kafka({ ...this.config, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
        try {
          await probe.connect();
        } finally {
          await probe.disconnect().catch(() => undefined);
        }
        await this.admin.connect();
        await prepare();
        await this.producer.connect();
        await this.consumer.connect();
      } catch (error) {
        throw kafkaConnectError(list, error);
      }
    }, {
      what: 'connecting to Kafka', logger: this.logger, ...(signal ? { signal } : {}),
      onFailure: (failure) => {
        this.state = `unreachable ${describeFailedAttempt(failure)}`;
      },
    });
    this.state = 'connected';
  }

  /** Readiness of Kafka: `ok` once connected, answering and in the consumer group. */
  async check(joined: boolean): Promise<string> {
    // Not the admin client before it connected: asking it would wait out kafkajs's own retries.
    if (this.state !== 'connected') return this.state;
    try {
      await this.admin.describeCluster();
      return joined ? 'ok' : 'connected, not yet in the consumer group';
    } catch (error) {
      return `unreachable: ${describeSafely(error)}`;
    }
  }
}
