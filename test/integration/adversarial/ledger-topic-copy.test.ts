// The audit topic as the second copy of a signed ledger, read back from a real broker: a ledger
// deleted and started again, or cut back to an earlier checkpoint, disagrees with what was published.
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../../../src/audit/checkpoint.js';
import { HEAD_FILE, LEDGER_FILE, Ledger } from '../../../src/audit/ledger.js';
import { parseLedgerKey } from '../../../src/audit/ledger-signer.js';
import { checkpointMessage, ledgerRecordMessage } from '../../../src/audit/topic-copy.js';
import { readTopicCopyFromKafka } from '../../../src/audit/topic-copy-kafka.js';
import { verifyLedger } from '../../../src/audit/verify-ledger.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { kafkaBrokers, randomName } from '../../env/backends.js';

const key = parseLedgerKey(Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()), 'test');
const { verifier } = key;

/** Writes a signed ledger in `dir` and publishes it the way the service's audit mirror does. */
async function publishedLedger(dir: string, topic: string): Promise<void> {
  const { signer } = key;
  if (!signer) throw new Error('a private key signs');
  const messages: Message[] = [];
  const ledger = await Ledger.open(dir, new ManualClock(Date.UTC(2026, 11, 6)), { signer, onCheckpoint: (c) => messages.push(checkpointMessage(c)) });
  for (const data of [{ event: 'started' }, { action: 'kubernetes.quarantine-pod', outcome: 'succeeded' }, { event: 'finished' }]) {
    messages.push(ledgerRecordMessage(ledger.append(data.event === undefined ? 'action' : 'run', data), ledger.ledgerId));
    await ledger.flush();
  }
  const kafka = new Kafka({ clientId: 'ledger-topic-copy-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
}

describe('the audit topic copy read from Kafka', () => {
  it('agrees with an intact ledger and exposes one deleted and started again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-topic-copy-'));
    const topic = randomName('audit');
    await publishedLedger(dir, topic);
    const copy = await readTopicCopyFromKafka(kafkaBrokers(), topic);
    expect(copy.checkpoints).toHaveLength(4);
    expect(await verifyLedger(dir, { topicCopy: copy })).toMatchObject({ ok: true, records: 3, topicCopy: { checkpoints: 4, records: 3 } });

    await rm(dir, { recursive: true });
    await mkdir(dir);
    const { signer } = key;
    if (!signer) throw new Error('a private key signs');
    const fresh = await Ledger.open(dir, new ManualClock(Date.UTC(2026, 11, 7)), { signer });
    fresh.append('run', { event: 'started' });
    await fresh.flush();
    expect(await verifyLedger(dir, { verifier })).toMatchObject({ ok: true });
    expect(await verifyLedger(dir, { verifier, topicCopy: await readTopicCopyFromKafka(kafkaBrokers(), topic) })).toMatchObject({
      ok: false, problem: expect.stringContaining('deleted and recreated') as unknown,
    });
  });

  it('exposes ledger and checkpoints cut back together to an earlier checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-topic-copy-'));
    const topic = randomName('audit');
    await publishedLedger(dir, topic);
    const lines = (await readFile(join(dir, LEDGER_FILE), 'utf8')).trim().split('\n');
    const checkpoints = (await readFile(join(dir, CHECKPOINT_FILE), 'utf8')).trim().split('\n');
    await writeFile(join(dir, LEDGER_FILE), `${lines.slice(0, 1).join('\n')}\n`);
    await writeFile(join(dir, CHECKPOINT_FILE), `${checkpoints.slice(0, 2).join('\n')}\n`);
    const first = JSON.parse(lines[0] ?? '') as { seq: number; hash: string };
    await writeFile(join(dir, HEAD_FILE), JSON.stringify({ seq: first.seq, hash: first.hash }));
    expect(await verifyLedger(dir, { verifier })).toMatchObject({ ok: true, records: 1 });
    expect(await verifyLedger(dir, { verifier, topicCopy: await readTopicCopyFromKafka(kafkaBrokers(), topic) })).toMatchObject({
      ok: false, problem: expect.stringContaining('the ledger ends at record 1') as unknown,
    });
  });

  it('names a topic it cannot read as a usage problem, not as tampering', async () => {
    await expect(readTopicCopyFromKafka(kafkaBrokers(), randomName('missing'), { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'topic-copy-unreadable' });
  });
});
