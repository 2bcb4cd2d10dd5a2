import type { Kafka } from 'kafkajs';
import type { ServiceConfig } from '../../../src/config/service-config.js';
import { readToEnd as readTopic } from '../../../src/kafka/read-to-end.js';
import { randomName } from '../../env/backends.js';

/** Every topic of a service configuration, named after one test's prefix. */
export function serviceTopics(prefix: string): ServiceConfig['kafka']['topics'] {
  return {
    accessLogs: `${prefix}-access`, modelTelemetry: `${prefix}-telemetry`, driftMetrics: `${prefix}-drift`,
    deadLetters: `${prefix}-dlq`, anomalies: `${prefix}-anomalies`, audit: `${prefix}-audit`, state: `${prefix}-state`,
    approvals: `${prefix}-approvals`,
  };
}

/** Every message value of `topic`, on all its partitions, up to its current end. */
export async function readToEnd(kafka: Kafka, topic: string): Promise<string[]> {
  const values: string[] = [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    await readTopic(kafka, admin, topic, randomName('reader'), (message) => { values.push(message.value?.toString('utf8') ?? ''); }, 60_000);
  } finally {
    await admin.disconnect();
  }
  return values;
}
