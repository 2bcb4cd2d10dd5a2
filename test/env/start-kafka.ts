import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts, type ProcessSupervisor } from './process-supervisor.js';

/** A running single-node KRaft Kafka. */
export interface KafkaBackend {
  readonly brokers: readonly string[];
  /** The broker's process id (its CPU time is read by the benchmarks). */
  readonly pid: number;
}

/**
 * Formats and starts a combined broker+controller on two free loopback ports
 * and waits until a kafkajs admin client can describe the cluster.
 */
export async function startKafka(supervisor: ProcessSupervisor, runDir: string, kafkaHome: string): Promise<KafkaBackend> {
  const dir = join(runDir, 'kafka');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const [brokerPort, controllerPort] = await freePorts(2);
  if (brokerPort === undefined || controllerPort === undefined) throw new Error('no free ports for Kafka');

  const properties = join(dir, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort}`,
      'inter.broker.listener.name=PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${dataDir}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'default.replication.factor=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
      // Tests never write enough to need the default 1 GiB segments preallocated.
      'log.segment.bytes=16777216',
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=INFO, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      // Kafka's own defaults: state-change and request logs are noise here.
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.state.change.logger=WARN',
      'log4j.logger.org.apache.kafka.raft=WARN',
      '',
    ].join('\n'),
  );

  const classpath = `${join(kafkaHome, 'libs')}/*`;
  // Short-lived JVMs do not profit from the C2 compiler; this roughly halves startup.
  const jvm = ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j.configuration=file:${log4j}`];
  // A cluster id is 16 random bytes in URL-safe base64, which saves a JVM start for `random-uuid`.
  // Passed as `--cluster-id=<id>`: an id that starts with '-' (one in 64) would otherwise be read
  // as an option, and formatting would fail with "argument --cluster-id/-t: expected one argument".
  const clusterId = randomBytes(16).toString('base64url');
  const format = supervisor.start('kafka-format', 'java', [
    ...jvm,
    '-cp',
    classpath,
    'kafka.tools.StorageTool',
    'format',
    `--cluster-id=${clusterId}`,
    '-c',
    properties,
    '--ignore-formatted',
  ]);
  await supervisor.waitForSuccess(format, 'formatting its storage', 60_000);

  const broker = supervisor.start('kafka', 'java', [...jvm, '-cp', classpath, 'kafka.Kafka', properties]);
  const brokers = [`127.0.0.1:${brokerPort}`];
  const kafka = new Kafka({ clientId: 'meshwarden-testenv', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  await supervisor.waitUntilReady(
    broker,
    'accepting client requests',
    async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0;
      } finally {
        await admin.disconnect();
      }
    },
    120_000,
  );
  return { brokers, pid: broker.pid };
}
