import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { ApprovalService } from '../approvals/approval-service.js';
import type { Logger } from '../shared/logger.js';

/**
 * Approval clicks across replicas: a click for an approval another replica holds goes to the
 * approvals topic, sealed; every replica reads that topic (its own group, from the start: the
 * topic keeps minutes only and stale seals are refused) and the holder applies it.
 * @returns the consumer of the approvals topic, to disconnect on stop.
 */
export async function startApprovalForwarding(deps: {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly approvals: ApprovalService;
  readonly topic: string;
  readonly groupId: string;
  readonly logger: Logger;
}): Promise<Consumer> {
  const { approvals, topic, logger } = deps;
  const consumer = deps.kafka.consumer({ groupId: `${deps.groupId}-approvals-${randomUUID()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      if (message.value === null) return;
      const result = await approvals.handleForwarded(message.value.toString('utf8'));
      if (result.type !== 'ignored') logger.info({ topic, offset: message.offset, result: result.type }, 'applied a forwarded approval click');
    },
  });
  approvals.setForwarder(async (sealed) => {
    await deps.producer.send({ topic, acks: -1, messages: [{ value: sealed }] });
  });
  return consumer;
}
