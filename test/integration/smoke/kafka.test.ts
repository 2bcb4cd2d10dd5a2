import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers, randomName } from '../../env/backends.js';
import { waitFor } from '../../env/wait-for.js';

describe('Kafka test backend (kafkajs)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('splits a topic between the members of one consumer group and delivers every record once', async () => {
    const kafka = new Kafka({ clientId: randomName('smoke'), brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const topic = randomName('smoke-topic');
    const groupId = randomName('smoke-group');
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });

    const received = new Map<string, { member: string; partition: number }>();
    const assignments = new Map<string, number[]>();
    const startMember = async (member: string): Promise<Consumer> => {
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
      cleanups.push(() => consumer.disconnect());
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assignments.set(member, event.payload.memberAssignment[topic] ?? []);
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message, partition }) => {
          received.set(message.value?.toString() ?? '', { member, partition });
          return Promise.resolve();
        },
      });
      return consumer;
    };
    await startMember('a');
    await startMember('b');
    await waitFor('both members to own one partition each', 60_000, () =>
      assignments.get('a')?.length === 1 && assignments.get('b')?.length === 1,
    );

    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const values = Array.from({ length: 20 }, (_, i) => `record-${i}`);
    await producer.send({
      topic,
      messages: values.map((value, i) => ({ value, partition: i % 2 })),
    });

    await waitFor('all 20 records to be consumed', 60_000, () => received.size === values.length);
    expect([...received.keys()].sort()).toEqual([...values].sort());
    const membersByPartition = new Map<number, Set<string>>();
    for (const { member, partition } of received.values()) {
      membersByPartition.set(partition, (membersByPartition.get(partition) ?? new Set()).add(member));
    }
    expect([...membersByPartition.keys()].sort()).toEqual([0, 1]);
    expect([...membersByPartition.values()].map((members) => members.size)).toEqual([1, 1]);
    const owners = [...membersByPartition.values()].flatMap((members) => [...members]);
    expect(new Set(owners)).toEqual(new Set(['a', 'b']));

    await waitFor('the group to commit its offsets', 30_000, async () => {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets?.partitions.every((p) => p.offset === '10') ?? false;
    });
  });
});
