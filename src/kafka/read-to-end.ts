import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

/**
 * Reads every partition of `topic` from its beginning up to the end it had when called, handing
 * each message to `onMessage`, with a throwaway consumer group `groupId`. Rejects after
 * `timeoutMs` naming the topic and how far it got.
 */
export async function readToEnd(
  kafka: Kafka, admin: Admin, topic: string, groupId: string,
  onMessage: (message: KafkaMessage, partition: number) => void, timeoutMs = 30_000,
): Promise<void> {
  const ends = await admin.fetchTopicOffsets(topic);
  const pending = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  if (pending.size === 0) return;
  let read = 0;
  const reader = kafka.consumer({ groupId });
  await reader.connect();
  try {
    await reader.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`${topic}: not read to its end within ${timeoutMs / 1000} s (${read} messages)`)); }, timeoutMs);
      reader.run({
        eachMessage: ({ partition, message }) => {
          read++;
          onMessage(message, partition);
          const end = pending.get(partition);
          if (end !== undefined && BigInt(message.offset) + 1n >= end) pending.delete(partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await reader.disconnect();
  }
}
