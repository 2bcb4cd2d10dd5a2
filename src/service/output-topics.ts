import type { Admin } from 'kafkajs';
import type { ServiceConfig } from '../config/service-config.js';
import { STATE_MAX_MESSAGE_BYTES } from './checkpoints.js';

/**
 * Creates the topics the service writes to that do not exist yet: dead letters, anomalies, audit,
 * the compacted checkpoint topic (messages up to STATE_MAX_MESSAGE_BYTES), and, with Slack
 * approvals, the approvals topic (kept 30 minutes).
 */
export async function ensureOutputTopics(admin: Admin, topics: ServiceConfig['kafka']['topics'], approvals: boolean): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted = [
    { topic: topics.deadLetters }, { topic: topics.anomalies }, { topic: topics.audit },
    { topic: topics.state, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'max.message.bytes', value: String(STATE_MAX_MESSAGE_BYTES) }] },
    ...(approvals ? [{ topic: topics.approvals, configEntries: [{ name: 'retention.ms', value: String(30 * 60_000) }] }] : []),
  ].filter((t) => !existing.has(t.topic));
  if (wanted.length > 0) await admin.createTopics({ waitForLeaders: true, topics: wanted });
}
