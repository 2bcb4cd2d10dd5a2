import { Kafka } from 'kafkajs';
import type { ServiceConfig } from '../../../src/config/service-config.js';
import { randomName } from '../../env/backends.js';

/** Every topic of a service configuration, named after one test's prefix. */
export function serviceTopics(prefix: string): ServiceConfig['kafka']['topics'] {
  return {
    accessLogs: `${prefix}-access`, modelTelemetry: `${prefix}-telemetry`, driftMetrics: `${prefix}-drift`,
    deadLetters: `${prefix}-dlq`, anomalies: `${prefix}-anomalies`, audit: `${prefix}-audit`, state: `${prefix}-state`,
    approvals: `${prefix}-approvals`,
  };
}

/** Reads every message of `topic`, on all its partitions, up to its current end. */
export async function readToEnd(kafka: Kafka, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const pending = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  const values: string[] = [];
  if (pending.size === 0) return values;
  const consumer = kafka.consumer({ groupId: randomName('reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolveRead, reject) => {
      const timer = setTimeout(() => { reject(new Error(`${topic}: not read to its end within 60 s (${values.length} messages)`)); }, 60_000);
      consumer.run({
        eachMessage: ({ partition, message }) => {
          values.push(message.value?.toString('utf8') ?? '');
          const end = pending.get(partition);
          if (end !== undefined && BigInt(message.offset) + 1n >= end) pending.delete(partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolveRead();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}
