import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, parseCheckpoints, type Checkpoint } from '../../../src/audit/checkpoint.js';
import { Ledger } from '../../../src/audit/ledger.js';
import { parseLedgerKey, type LedgerSigner } from '../../../src/audit/ledger-signer.js';
import { verifyLedger } from '../../../src/audit/verify-ledger.js';
import { ManualClock } from '../../../src/shared/clock.js';

let dir: string;
let signer: LedgerSigner;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshwarden-signed-'));
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const key = parseLedgerKey(Buffer.from(pem), 'test');
  if (!key.signer) throw new Error('a private key signs');
  signer = key.signer;
});

async function checkpoints(): Promise<Checkpoint[]> {
  const read = parseCheckpoints(await readFile(join(dir, CHECKPOINT_FILE), 'utf8'));
  if (!read.ok) throw new Error(read.problem);
  return [...read.checkpoints];
}

describe('signed audit ledger', () => {
  it('writes a genesis checkpoint at creation and one per flush, and publishes each', async () => {
    const published: Checkpoint[] = [];
    const ledger = await Ledger.open(dir, new ManualClock(Date.UTC(2026, 11, 1)), { signer, onCheckpoint: (c) => published.push(c) });
    expect(ledger.ledgerId).toMatch(/^[0-9a-f-]{36}$/);
    ledger.append('run', { event: 'started' });
    ledger.append('anomaly', { detector: 'egress-spike' });
    await ledger.flush();
    ledger.append('run', { event: 'finished' });
    await ledger.flush();
    await ledger.flush();
    const written = await checkpoints();
    expect(written.map((c) => [c.seq, c.ledgerId])).toEqual([[0, ledger.ledgerId], [2, ledger.ledgerId], [3, ledger.ledgerId]]);
    expect(published).toEqual(written);
    expect(ledger.unsignedTail).toBe(0);
    expect(await verifyLedger(dir, { verifier: signer })).toEqual({
      ok: true, records: 3, signing: 'verified', ledgerId: ledger.ledgerId, checkpoints: 3, signedThrough: 3, unsignedTail: 0,
    });
  });

  it('signs at most once per checkpointEveryMs and reports the records after as the unsigned tail', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    const ledger = await Ledger.open(dir, clock, { signer, checkpointEveryMs: 10_000 });
    ledger.append('run', { event: 'started' });
    await ledger.flush();
    expect((await checkpoints()).map((c) => c.seq)).toEqual([0]);
    expect(ledger.unsignedTail).toBe(1);
    expect(await verifyLedger(dir, { verifier: signer })).toMatchObject({ ok: true, signedThrough: 0, unsignedTail: 1 });
    clock.advance(10_000);
    ledger.append('anomaly', { n: 1 });
    await ledger.flush();
    expect((await checkpoints()).map((c) => c.seq)).toEqual([0, 2]);
    expect(ledger.unsignedTail).toBe(0);
  });

  it('keeps records and checkpoints in order when flushes overlap', async () => {
    // A signer that answers late and out of order, as a remote one (Vault transit) may.
    const slow: LedgerSigner = { ...signer, sign: async (payload) => { await new Promise((r) => setTimeout(r, Math.random() * 5)); return signer.sign(payload); } };
    const ledger = await Ledger.open(dir, new ManualClock(0), { signer: slow });
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      ledger.append('anomaly', { i });
      flushes.push(ledger.flush());
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(flushes);
    const result = await verifyLedger(dir, { verifier: signer });
    expect(result).toMatchObject({ ok: true, records: 20, unsignedTail: 0 });
    expect(result.ok && result.checkpoints).toBeGreaterThan(2);
  });

  it('continues the same ledger id across reopenings', async () => {
    const first = await Ledger.open(dir, new ManualClock(0), { signer });
    first.append('run', { event: 'started' });
    await first.flush();
    const again = await Ledger.open(dir, new ManualClock(1000), { signer });
    expect(again.ledgerId).toBe(first.ledgerId);
    expect(again.lastSeq).toBe(1);
    again.append('run', { event: 'finished' });
    await again.flush();
    expect(await verifyLedger(dir, { verifier: signer, expectLedgerId: first.ledgerId ?? '' })).toMatchObject({ ok: true, records: 2, unsignedTail: 0 });
  });

  it('will not extend a signed ledger without its key, nor sign over an unsigned history', async () => {
    const signed = await Ledger.open(dir, new ManualClock(0), { signer });
    signed.append('run', {});
    await signed.flush();
    await expect(Ledger.open(dir, new ManualClock(0))).rejects.toMatchObject({ code: 'ledger-key-missing' });

    const plainDir = await mkdtemp(join(tmpdir(), 'meshwarden-plain-'));
    const plain = await Ledger.open(plainDir, new ManualClock(0));
    plain.append('run', {});
    await plain.flush();
    await expect(Ledger.open(plainDir, new ManualClock(0), { signer })).rejects.toMatchObject({ code: 'ledger-unsigned-history' });
  });
});
