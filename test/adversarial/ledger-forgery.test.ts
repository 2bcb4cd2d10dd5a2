// Forgeries of the audit ledger by someone who can write the state directory (a compromised node
// agent, a backup job, an operator covering tracks) but, unless a test says so, does not hold the
// ledger key. Each attack uses only the files and the public hashing rule, as a real forger would.
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runEmbedded } from '../../src/embedded/run-embedded.js';
import { CHECKPOINT_FILE, signCheckpoint, type Checkpoint } from '../../src/audit/checkpoint.js';
import { GENESIS, HEAD_FILE, LEDGER_FILE, Ledger, hashRecord, type LedgerRecord } from '../../src/audit/ledger.js';
import { parseLedgerKey, type LedgerSigner, type LedgerVerifier } from '../../src/audit/ledger-signer.js';
import { checkpointMessage, parseTopicCopy, type TopicCopy } from '../../src/audit/topic-copy.js';
import { verifyLedger } from '../../src/audit/verify-ledger.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { runProcess } from '../env/run-process.js';

interface Keys {
  readonly signer: LedgerSigner;
  /** What the auditor holds: the public key only. */
  readonly verifier: LedgerVerifier;
  readonly publicPem: string;
  readonly privatePem: string;
}

function ed25519(): Keys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const signer = parseLedgerKey(Buffer.from(privatePem), 'private').signer;
  if (!signer) throw new Error('a private key signs');
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  return { signer, verifier: parseLedgerKey(Buffer.from(publicPem), 'public').verifier, publicPem, privatePem };
}

let dir: string;
let key: Keys;
let published: string[];
const clock = new ManualClock(Date.UTC(2026, 11, 6, 9));

/** What the service leaves: a run with an incident, the decision and the quarantine it took, flushed twice. */
async function writeHistory(signer: LedgerSigner | undefined, into = dir): Promise<void> {
  const onCheckpoint = (c: Checkpoint): void => { published.push(checkpointMessage(c).value); };
  const ledger = await Ledger.open(into, clock, signer ? { signer, onCheckpoint } : undefined);
  const append = (type: LedgerRecord['type'], data: unknown): void => { published.push(JSON.stringify(ledger.append(type, data))); };
  append('run', { event: 'started' });
  append('anomaly', { detector: 'auth-failure-storm', entity: 'principal:203.0.113.9' });
  append('incident', { event: 'opened', id: 'inc-1' });
  await ledger.flush();
  append('decision', { playbook: 'quarantine-on-storm', incidentId: 'inc-1', event: 'proceed' });
  append('action', { action: 'kubernetes.quarantine-pod', target: 'ml-prod/inference-7d9c', outcome: 'succeeded', by: 'engine' });
  append('run', { event: 'finished' });
  await ledger.flush();
}

const topicCopy = (): TopicCopy => parseTopicCopy(published.join('\n'), 'audit-topic');

async function records(): Promise<LedgerRecord[]> {
  return (await readFile(join(dir, LEDGER_FILE), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as LedgerRecord);
}

/** The forger's tool: renumber, rechain and rehash every record, and rewrite the head to match. */
async function writeRechained(forged: readonly Omit<LedgerRecord, 'seq' | 'prev' | 'hash'>[]): Promise<void> {
  let prev = GENESIS;
  const lines = forged.map((r, i) => {
    const unsigned = { seq: i + 1, recordedAt: r.recordedAt, type: r.type, data: r.data, prev };
    const record = { ...unsigned, hash: hashRecord(unsigned) };
    prev = record.hash;
    return JSON.stringify(record);
  });
  await writeFile(join(dir, LEDGER_FILE), lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  await writeFile(join(dir, HEAD_FILE), JSON.stringify({ seq: forged.length, hash: prev }));
}

async function checkpointLines(): Promise<Checkpoint[]> {
  return (await readFile(join(dir, CHECKPOINT_FILE), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Checkpoint);
}

/** A forger holding some key of their own re-signs checkpoints over the forged chain. */
async function resignWith(signer: LedgerSigner): Promise<void> {
  const forged = await records();
  const ledgerId = (await checkpointLines())[0]?.ledgerId ?? '00000000-0000-4000-8000-000000000000';
  const at = new Date(clock.now()).toISOString();
  const checkpoints = [
    await signCheckpoint(signer, { ledgerId, seq: 0, hash: GENESIS, at }),
    await signCheckpoint(signer, { ledgerId, seq: forged.length, hash: forged[forged.length - 1]?.hash ?? GENESIS, at }),
  ];
  await writeFile(join(dir, CHECKPOINT_FILE), `${checkpoints.map((c) => JSON.stringify(c)).join('\n')}\n`);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshwarden-forgery-'));
  key = ed25519();
  published = [];
});

describe('dropping the action records and recomputing chain and head', () => {
  const dropActions = async (): Promise<void> => { await writeRechained((await records()).filter((r) => r.type !== 'action')); };

  it('is caught by the signed checkpoints without the key', async () => {
    await writeHistory(key.signer);
    await dropActions();
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({
      ok: false, seq: 6, problem: expect.stringContaining('removed from the end') as unknown,
    });
  });

  it('is caught when the forger re-signs the checkpoints with a key of their own', async () => {
    await writeHistory(key.signer);
    await dropActions();
    await resignWith(ed25519().signer);
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: false, problem: expect.stringContaining('not by the given key') as unknown });
  });

  it('passes an unsigned ledger (accidents only) but not against the audit topic copy', async () => {
    await writeHistory(undefined);
    await dropActions();
    expect(await verifyLedger(dir)).toMatchObject({ ok: true, signing: 'unsigned' });
    expect(await verifyLedger(dir, { topicCopy: topicCopy() })).toMatchObject({ ok: false, problem: expect.stringContaining('record 5 differs from its published copy') as unknown });
  });
});

describe('editing an outcome and recomputing', () => {
  const editOutcome = async (): Promise<void> => {
    await writeRechained((await records()).map((r) => (r.type === 'action' ? { ...r, data: { ...(r.data as object), outcome: 'refused', target: 'ml-prod/other' } } : r)));
  };

  it('is caught: record 5 no longer matches its signed checkpoint', async () => {
    await writeHistory(key.signer);
    await editOutcome();
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: false, seq: 6, problem: expect.stringContaining('does not match its signed checkpoint') as unknown });
  });

  it('is caught against the topic copy even where the files were re-signed with another key', async () => {
    await writeHistory(key.signer);
    await editOutcome();
    await resignWith(ed25519().signer);
    expect(await verifyLedger(dir, { topicCopy: topicCopy() })).toMatchObject({ ok: false });
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: false });
  });

  it('cannot be re-signed by an HMAC key the forger guesses', async () => {
    const hmac = parseLedgerKey(Buffer.from('the-real-ledger-secret-of-32-bytes-or-more'), 'hmac');
    if (!hmac.signer) throw new Error('an HMAC key signs');
    await writeHistory(hmac.signer);
    await editOutcome();
    const guess = parseLedgerKey(Buffer.from('the-real-ledger-secret-of-32-bytes-or-morf'), 'guess').signer;
    if (!guess) throw new Error('an HMAC key signs');
    // Same key id claimed, forged signature: the MAC does not verify.
    await resignWith({ ...guess, keyId: hmac.verifier.keyId });
    expect(await verifyLedger(dir, { verifier: hmac.verifier })).toMatchObject({ ok: false, problem: expect.stringContaining('does not verify') as unknown });
  });
});

describe('appending a forged decision with a recomputed chain', () => {
  const forgedDecision = { recordedAt: new Date(clock.now()).toISOString(), type: 'decision' as const, data: { playbook: 'quarantine-on-storm', event: 'approved', approver: 'U0SOCLEAD' } };

  it('inserted in the signed history, is caught', async () => {
    await writeHistory(key.signer);
    const all = await records();
    await writeRechained([...all.slice(0, 3), forgedDecision, ...all.slice(3)]);
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: false, seq: 6, problem: expect.stringContaining('does not match its signed checkpoint') as unknown });
  });

  it('after the last checkpoint, is reported as an unsigned tail and never as signed', async () => {
    await writeHistory(key.signer);
    await writeRechained([...(await records()), forgedDecision]);
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: true, records: 7, signedThrough: 6, unsignedTail: 1 });
    await resignWith(ed25519().signer);
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: false });
  });
});

describe('truncating the tail before the last checkpoint', () => {
  it('is caught from the files when only the ledger is cut', async () => {
    await writeHistory(key.signer);
    await writeRechained((await records()).slice(0, 3));
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: false, problem: expect.stringContaining('covers record 6 but the ledger ends at record 3') as unknown });
  });

  it('is caught against the topic copy when ledger and checkpoints are cut together', async () => {
    await writeHistory(key.signer);
    await writeRechained((await records()).slice(0, 3));
    await writeFile(join(dir, CHECKPOINT_FILE), `${(await checkpointLines()).slice(0, 2).map((c) => JSON.stringify(c)).join('\n')}\n`);
    // From the files alone a cut at a checkpoint looks whole: this is what the topic copy is for.
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: true, records: 3 });
    expect(await verifyLedger(dir, { verifier: key.verifier, topicCopy: topicCopy() })).toMatchObject({ ok: false, problem: expect.stringContaining('ledger ends at record 3') as unknown });
  });
});

describe('deleting the ledger and running again', () => {
  async function deleteAndStartOver(signer: LedgerSigner | undefined): Promise<void> {
    await rm(dir, { recursive: true });
    await mkdir(dir);
    const ledger = await Ledger.open(dir, clock, signer ? { signer } : undefined);
    ledger.append('run', { event: 'started' });
    ledger.append('run', { event: 'finished' });
    await ledger.flush();
  }

  it('gives a fresh signed history that the topic copy and the expected ledger id expose', async () => {
    await writeHistory(key.signer);
    const ledgerId = (await checkpointLines())[0]?.ledgerId ?? '';
    await deleteAndStartOver(key.signer);
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: true });
    expect(await verifyLedger(dir, { verifier: key.verifier, topicCopy: topicCopy() })).toMatchObject({ ok: false, problem: expect.stringContaining('the ledger was deleted and recreated') as unknown });
    expect(await verifyLedger(dir, { verifier: key.verifier, expectLedgerId: ledgerId })).toMatchObject({ ok: false, problem: expect.stringContaining('deleted and recreated') as unknown });
  });

  it('without the key, an unsigned fresh history fails verification with the key', async () => {
    await writeHistory(key.signer);
    await deleteAndStartOver(undefined);
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: false, problem: expect.stringContaining('no signed checkpoints') as unknown });
    expect(await verifyLedger(dir, { topicCopy: topicCopy() })).toMatchObject({ ok: false });
  });

  it('deleting only the records leaves checkpoints that expose it, and the engine will not start over on them', async () => {
    await writeHistory(key.signer);
    await writeRechained([]);
    expect(await verifyLedger(dir, { verifier: key.verifier })).toMatchObject({ ok: false, problem: expect.stringContaining('records were removed from the end') as unknown });
    await expect(Ledger.open(dir, clock, { signer: key.signer })).rejects.toMatchObject({ code: 'ledger-checkpoint-invalid' });
  });
});

describe('editing the middle and then running', () => {
  async function emptyConfig(): Promise<string[]> {
    const root = await mkdtemp(join(tmpdir(), 'meshwarden-forgery-config-'));
    await Promise.all([mkdir(join(root, 'detectors')), mkdir(join(root, 'playbooks'))]);
    return [join(root, 'detectors'), join(root, 'playbooks')];
  }

  async function run(stateDir: string, signer: LedgerSigner | undefined): Promise<unknown> {
    const input = join(stateDir, 'input.ndjson');
    await writeFile(input, '');
    return runEmbedded(
      { input, configPaths: await emptyConfig(), stateDir, ...(signer ? { ledgerSigning: { signer } } : {}) },
      { clock, logger: createLogger({ level: 'silent' }) },
    );
  }

  it('is refused with the key when the chain was recomputed, and nothing is appended', async () => {
    const state = await mkdtemp(join(tmpdir(), 'meshwarden-forgery-state-'));
    dir = join(state, 'audit');
    await run(state, key.signer);
    await run(state, key.signer);
    const all = await records();
    await writeRechained(all.map((r) => (r.seq === 2 ? { ...r, data: { event: 'finished', anomalies: 0, edited: true } } : r)));
    const before = await readFile(join(dir, LEDGER_FILE), 'utf8');
    await expect(run(state, key.signer)).rejects.toMatchObject({ code: 'ledger-checkpoint-invalid', message: expect.stringContaining('record 2 does not match its signed checkpoint') as unknown });
    expect(await readFile(join(dir, LEDGER_FILE), 'utf8')).toBe(before);
  });

  it('is refused even unsigned when the edit left the chain broken', async () => {
    const state = await mkdtemp(join(tmpdir(), 'meshwarden-forgery-state-'));
    dir = join(state, 'audit');
    await run(state, undefined);
    await writeFile(join(dir, LEDGER_FILE), (await readFile(join(dir, LEDGER_FILE), 'utf8')).replace('"started"', '"begun"'));
    await expect(run(state, undefined)).rejects.toMatchObject({ code: 'ledger-chain-broken', message: expect.stringContaining('line 1 (seq 1)') as unknown });
  });

  it('is refused by the real `meshwarden run` in one line, and `audit verify` exits 1 with a different key', async () => {
    const state = await mkdtemp(join(tmpdir(), 'meshwarden-forgery-state-'));
    dir = join(state, 'audit');
    await run(state, key.signer);
    const keyDir = await mkdtemp(join(tmpdir(), 'meshwarden-forgery-keys-'));
    await writeFile(join(keyDir, 'public.pem'), key.publicPem);
    await writeFile(join(keyDir, 'other.pem'), ed25519().publicPem);
    const cli = (args: string[]): ReturnType<typeof runProcess> => runProcess(process.execPath, [join(process.cwd(), 'bin/meshwarden.js'), ...args], { timeoutMs: 60_000 });
    expect((await cli(['audit', 'verify', state, '--key', join(keyDir, 'public.pem')])).code).toBe(0);
    const other = await cli(['audit', 'verify', state, '--key', join(keyDir, 'other.pem')]);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/^TAMPERED: the checkpoint at seq 0 was signed by key ed25519:[0-9a-f]{16}, not by the given key/);
    await writeFile(join(keyDir, 'private.pem'), key.privatePem);
    const [detectors = '', playbooks = ''] = await emptyConfig();
    const runCli = (...extra: string[]): ReturnType<typeof runProcess> => cli(['run', '--input', join(state, 'input.ndjson'), '--state', state, '--detectors', detectors, '--playbooks', playbooks, ...extra]);
    await writeRechained((await records()).map((r) => (r.seq === 1 ? { ...r, data: { event: 'started', input: 'forged' } } : r)));
    const refused = await runCli('--ledger-key', join(keyDir, 'private.pem'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: record 2 does not match its signed checkpoint: .*will not be extended.*\[ledger-checkpoint-invalid\]\n$/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const publicOnly = await runCli('--ledger-key', join(keyDir, 'public.pem'));
    expect(publicOnly.code).toBe(2);
    expect(publicOnly.stderr).toContain('holds a public key');
    const unsignedRun = await runCli();
    expect(unsignedRun.code).toBe(1);
    expect(unsignedRun.stderr.trim().split('\n')).toEqual([
      'warning: the audit ledger is unsigned (no --ledger-key or MESHWARDEN_LEDGER_KEY): it detects accidents, not forgery',
      expect.stringMatching(/^error: the audit ledger in .* is signed \(checkpoints\.jsonl\) but no ledger key is configured.*\[ledger-key-missing\]$/) as unknown,
    ]);
  });
});
