import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { FileIncidentThreadStore } from '../../../src/actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../../../src/actions/slack/incident-threads.js';
import type { ActionDeps } from '../../../src/actions/action-context.js';
import { verifyLedger } from '../../../src/audit/verify-ledger.js';
import { serviceConfigSchema, type ServiceConfig } from '../../../src/config/service-config.js';
import { MeshwardenService } from '../../../src/service.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { kafkaBrokers, randomName } from '../../env/backends.js';
import { startSlackTestServer } from '../../env/slack-server.js';
import { waitFor } from '../../env/wait-for.js';
import { serviceTopics } from './service-topics.js';
import { traffic } from './inference-traffic.js';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const MIN = 60_000;


const services: MeshwardenService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop().catch(() => undefined);
});

function config(stateDir: string, prefix: string): ServiceConfig {
  return serviceConfigSchema.parse({
    apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig', detectors: 'detectors', playbooks: 'playbooks', stateDir, dryRun: true,
    kubernetes: { enabled: false },
    kafka: {
      brokers: kafkaBrokers(), groupId: `${prefix}-group`,
      // Only the graceful stop checkpoints: the restart below depends on that path.
      checkpointEvery: '1h',
      topics: serviceTopics(prefix),
    },
  });
}

async function start(cfg: ServiceConfig, actionDeps: Omit<ActionDeps, 'clock' | 'logger'> = {}, metrics = createMetrics()): Promise<MeshwardenService> {
  const service = new MeshwardenService({
    config: cfg, kafka: { clientId: 'meshwarden-test', brokers: cfg.kafka.brokers }, actionDeps,
    clock: systemClock, logger: silentLogger(), metrics,
  });
  services.push(service);
  await service.start();
  return service;
}

/** Reads a topic from the beginning until `done` says enough, or the deadline passes. */
async function readUntil(kafka: Kafka, topic: string, done: (messages: KafkaMessage[]) => boolean, timeoutMs = 60_000): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: randomName('reader') });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`${topic}: condition not met within ${timeoutMs} ms (${messages.length} messages)`)); }, timeoutMs);
      void consumer.run({
        eachMessage: ({ message }) => {
          messages.push(message);
          if (done(messages)) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

describe('the cluster service on a real Kafka broker', () => {
  it('turns an error storm into an anomaly, dead-letters garbage with its reason in headers, mirrors the ledger, and resumes baselines after a restart', async () => {
    const prefix = randomName('svc');
    const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-svc-'));
    const cfg = config(stateDir, prefix);
    const kafka = new Kafka({ clientId: 'test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        ...[cfg.kafka.topics.accessLogs, cfg.kafka.topics.modelTelemetry, cfg.kafka.topics.driftMetrics].map((topic) => ({ topic })),
        { topic: cfg.kafka.topics.state, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const send = (values: string[]) => producer.send({ topic: cfg.kafka.topics.accessLogs, messages: values.map((value) => ({ value })) });
    // A checkpoint the engine cannot use (cut short): the partition must start afresh and say so.
    await producer.send({ topic: cfg.kafka.topics.state, messages: [{ key: `${cfg.kafka.topics.accessLogs}:0`, value: '{"version":1,"nextOffset":"4' }] });

    // 90 minutes of baseline, a 5-minute error storm, then normal traffic to move the watermark on.
    await send([...traffic(T0, 90, 0.01, 0), 'not an access log', ...traffic(T0 + 90 * MIN, 5, 0.9, 10_000), ...traffic(T0 + 95 * MIN, 3, 0.01, 20_000)]);
    await start(cfg);

    const anomalies = await readUntil(kafka, cfg.kafka.topics.anomalies, (m) => m.some((x) => x.value?.toString().includes('"error-storm"') === true));
    const storm = anomalies.map((m) => JSON.parse(m.value?.toString() ?? '{}') as { detector: string; entity: { key: string }; windowStart: number }).find((a) => a.detector === 'error-storm');
    expect(storm?.entity.key).toBe('workload:ml-prod/inference');
    expect(storm?.windowStart).toBeGreaterThanOrEqual(T0 + 90 * MIN);

    const [dead] = await readUntil(kafka, cfg.kafka.topics.deadLetters, (m) => m.length >= 1);
    expect(dead?.value?.toString()).toBe('not an access log');
    expect(dead?.headers?.['meshwarden-code']?.toString()).toBe('unknown-shape');
    expect(dead?.headers?.['meshwarden-source-topic']?.toString()).toBe(cfg.kafka.topics.accessLogs);
    expect(dead?.headers?.['meshwarden-reason']?.toString().length).toBeGreaterThan(10);

    const audit = await readUntil(kafka, cfg.kafka.topics.audit, (m) => m.some((x) => x.value?.toString().includes('"type":"anomaly"') === true));
    expect(audit.length).toBeGreaterThan(0);
    const unusable = audit.map((m) => JSON.parse(m.value?.toString() ?? '{}') as { type: string; data: { event?: string; partition?: string; reason?: string } }).find((r) => r.data.event === 'checkpoint-unusable');
    expect(unusable).toMatchObject({ type: 'decision', data: { partition: `${cfg.kafka.topics.accessLogs}:0`, reason: 'it is not JSON' } });

    // Graceful stop checkpoints; a new instance resumes with its baselines: a second storm right
    // after the restart is caught at once, which a fresh baseline (60 windows of warm-up) could not.
    await services.pop()?.stop();
    expect((await verifyLedger(join(stateDir, 'audit'))).ok).toBe(true);
    await send([...traffic(T0 + 98 * MIN, 2, 0.01, 30_000), ...traffic(T0 + 100 * MIN, 3, 0.9, 40_000), ...traffic(T0 + 103 * MIN, 3, 0.01, 50_000)]);
    await start(cfg);
    const after = await readUntil(kafka, cfg.kafka.topics.anomalies, (m) =>
      m.some((x) => { const a = JSON.parse(x.value?.toString() ?? '{}') as { detector?: string; windowStart?: number }; return a.detector === 'error-storm' && (a.windowStart ?? 0) >= T0 + 100 * MIN; }));
    expect(after.length).toBeGreaterThan(anomalies.length);
    await producer.disconnect();
  }, 180_000);

  it('pauses consumption while an action waits on a slow backend, then goes on without losing or repeating anything', async () => {
    const prefix = randomName('svc-slow');
    const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-svc-'));
    // Live: the shipped notify-on-service-degradation playbook posts the error storm to #sre-alerts.
    // A checkpoint (and commit) after every batch, so the committed offset shows what was taken in.
    const base = config(stateDir, prefix);
    const cfg: ServiceConfig = { ...base, dryRun: false, kafka: { ...base.kafka, checkpointEvery: 0 } };
    const kafka = new Kafka({ clientId: 'test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [cfg.kafka.topics.accessLogs, cfg.kafka.topics.modelTelemetry, cfg.kafka.topics.driftMetrics].map((topic) => ({ topic })) });
    const producer = kafka.producer();
    await producer.connect();
    const send = (values: string[]) => producer.send({ topic: cfg.kafka.topics.accessLogs, messages: values.map((value) => ({ value })) });
    const slackServer = await startSlackTestServer({ botToken: 'xoxb-backpressure', signingSecret: 'unused', channels: { 'sre-alerts': 'C0SRE' } });
    try {
      const slow = slackServer.hold('chat.postMessage');
      const slack = new WebClient('xoxb-backpressure', { slackApiUrl: slackServer.apiUrl, retryConfig: { retries: 0 } });
      const slackThreads = new SlackIncidentThreads({ slack, store: new FileIncidentThreadStore(stateDir), logger: silentLogger() });
      const metrics = createMetrics();
      const parsed = async (): Promise<number> => (await metrics.records.get()).values.reduce((n, v) => n + (v.labels.outcome === 'parsed' ? v.value : 0), 0);
      const committed = async (): Promise<number> => Number((await admin.fetchOffsets({ groupId: cfg.kafka.groupId, topics: [cfg.kafka.topics.accessLogs] }))[0]?.partitions[0]?.offset ?? -1);

      const first = [...traffic(T0, 90, 0.01, 0), ...traffic(T0 + 90 * MIN, 5, 0.9, 10_000), ...traffic(T0 + 95 * MIN, 3, 0.01, 20_000)];
      await send(first);
      await start(cfg, { slack, slackThreads }, metrics);
      await slow.reached;

      // Slack does not answer. Half an hour more traffic arrives: none of it is taken in (the
      // records counted, the committed offset and so the memory held stay where they are).
      const parsedWhileSlow = await parsed();
      const committedWhileSlow = await committed();
      expect(committedWhileSlow).toBeLessThan(first.length);
      const later = traffic(T0 + 98 * MIN, 30, 0.01, 30_000);
      await send(later);
      for (let i = 0; i < 6; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await parsed()).toBe(parsedWhileSlow);
        expect(await committed()).toBe(committedWhileSlow);
      }

      // Slack answers: the rest is consumed, the commits move on (to the earliest record of a
      // window still open), and the alert was posted once.
      slow.release();
      await waitFor('every message consumed', 60_000, async () => (await parsed()) === first.length + later.length);
      await waitFor('the commits moving on', 30_000, async () => (await committed()) > first.length);
      expect(slackServer.channelMessages('C0SRE')).toHaveLength(1);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
      await services.pop()?.stop();
      await slackServer.close();
    }
  }, 180_000);
});
