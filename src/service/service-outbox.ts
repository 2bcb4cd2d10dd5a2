import type { IHeaders, Message, Producer } from 'kafkajs';
import type { Anomaly } from '../detect/anomaly.js';
import type { StoredDeadLetter } from '../parse/records.js';
import type { EngineMetrics } from '../server/metrics.js';
import { DEFAULT_DEAD_LETTER_FLUSH_BYTES } from '../sources/dead-letter-file.js';

/** The output topics the outbox writes to. */
export interface OutboxTopics {
  readonly deadLetters: string;
  readonly anomalies: string;
}

/**
 * The service's outputs waiting to be produced: dead letters, anomalies, ledger records and
 * signed checkpoints. Everything in it is sent (acks=all) before the checkpoint and the offset
 * that cover the records it came from, so at-least-once delivery holds.
 */
export class ServiceOutbox {
  private readonly pending: { topic: string; messages: Message[] }[] = [];
  /** Approximate bytes of dead letters waiting: past a few MiB they are sent mid-batch. */
  private deadLetterBytes = 0;
  /** The sends in order: a flush resolves once everything pushed before it is sent, by it or before it. */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly producer: Producer,
    private readonly topics: OutboxTopics,
    private readonly metrics: EngineMetrics,
  ) {}

  push(topic: string, messages: Message[]): void {
    this.pending.push({ topic, messages });
  }

  /** A dead letter, with headers that find the original message. */
  deadLetter(letter: StoredDeadLetter): void {
    this.metrics.deadLetters.inc({ code: letter.code });
    const [topic, partition] = letter.origin.source.split('/');
    const headers: IHeaders = {
      'meshwarden-reason': letter.reason, 'meshwarden-code': letter.code,
      'meshwarden-source-topic': topic ?? '', 'meshwarden-source-partition': partition ?? '', 'meshwarden-source-offset': String(letter.origin.position),
      // The value is a bounded prefix (or nothing, after the first letter of a message): these find the original.
      'meshwarden-raw-bytes': String(letter.rawBytes), 'meshwarden-raw-sha256': letter.rawSha256,
    };
    this.push(this.topics.deadLetters, [{ value: letter.raw ?? '', headers }]);
    this.deadLetterBytes += (letter.raw?.length ?? 0) + letter.reason.length + 256;
  }

  anomaly(anomaly: Anomaly): void {
    this.metrics.anomalies.inc({ detector: anomaly.detector, severity: anomaly.severity });
    this.push(this.topics.anomalies, [{ key: anomaly.entity.key, value: JSON.stringify(anomaly) }]);
  }

  /** Whether dead letters piled up enough to be sent before the batch ends. */
  get full(): boolean {
    return this.deadLetterBytes >= DEFAULT_DEAD_LETTER_FLUSH_BYTES;
  }

  /**
   * Sends everything waiting, one request for all topics. Partitions consumed side by side flush
   * the one outbox: a flush waits for the sends before it, so when it resolves, every output pushed
   * before it was called has been acknowledged (what a partition's checkpoint relies on).
   */
  flush(): Promise<void> {
    this.deadLetterBytes = 0;
    const run = this.sending.then(() => this.send());
    this.sending = run.catch(() => undefined);
    return run;
  }

  private async send(): Promise<void> {
    if (this.pending.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const item of this.pending.splice(0)) {
      const list = byTopic.get(item.topic) ?? [];
      list.push(...item.messages);
      byTopic.set(item.topic, list);
    }
    await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  }
}
