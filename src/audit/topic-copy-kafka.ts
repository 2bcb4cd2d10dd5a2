import { Kafka, logLevel } from 'kafkajs';
import { readToEnd } from '../kafka/read-to-end.js';
import { LedgerError, describeError } from '../shared/errors.js';
import { parseTopicCopy, type TopicCopy } from './topic-copy.js';

/**
 * Reads the audit topic from its beginning to its current end (a throwaway consumer group, no
 * offsets committed anywhere that matters) and parses it as a topic copy.
 */
export async function readTopicCopyFromKafka(brokers: readonly string[], topic: string, options: { readonly timeoutMs?: number } = {}): Promise<TopicCopy> {
  const kafka = new Kafka({ clientId: 'meshwarden-audit-verify', brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  const values: string[] = [];
  try {
    await admin.connect();
    await readToEnd(kafka, admin, topic, `meshwarden-audit-verify-${process.pid}-${Date.now()}`, (message) => {
      if (message.value) values.push(message.value.toString('utf8'));
    }, options.timeoutMs);
  } catch (error) {
    // kafkajs errors carry no credentials here (no SASL), but only the message is kept all the same.
    throw new LedgerError('topic-copy-unreadable', `cannot read the audit topic ${topic} from ${brokers.join(',')}: ${describeError(error)}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return parseTopicCopy(values.join('\n'), `kafka:${topic}`);
}
