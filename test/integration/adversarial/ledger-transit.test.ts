// The ledger signed by OpenBao's transit engine: the key never leaves Vault, so a forger with the
// state directory (and even the engine's files) has nothing to sign with.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import vault from 'node-vault';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, signCheckpoint, type Checkpoint } from '../../../src/audit/checkpoint.js';
import { GENESIS, HEAD_FILE, LEDGER_FILE, Ledger, hashRecord, type LedgerRecord } from '../../../src/audit/ledger.js';
import { parseLedgerKey } from '../../../src/audit/ledger-signer.js';
import { transitSigner } from '../../../src/audit/transit-signer.js';
import { verifyLedger } from '../../../src/audit/verify-ledger.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { randomName, vaultEndpoint, vaultRootToken } from '../../env/backends.js';

function client(token = vaultRootToken()): vault.client {
  return vault({ apiVersion: 'v1', endpoint: vaultEndpoint(), token });
}

/** A fresh transit mount (enabled through sys/mounts) with an Ed25519 key. */
async function transitKey(): Promise<{ mount: string; key: string }> {
  const bao = client();
  const mount = randomName('transit');
  await bao.mount({ mount_point: mount, type: 'transit' });
  await bao.write(`${mount}/keys/ledger`, { type: 'ed25519' });
  return { mount, key: 'ledger' };
}

async function signedLedger(dir: string, signer: ReturnType<typeof transitSigner>): Promise<void> {
  const ledger = await Ledger.open(dir, new ManualClock(Date.UTC(2026, 11, 6)), { signer });
  ledger.append('run', { event: 'started' });
  ledger.append('action', { action: 'vault.rotate-secret', target: 'ml-prod/model-api-key', outcome: 'succeeded' });
  await ledger.flush();
  ledger.append('run', { event: 'finished' });
  await ledger.flush();
}

describe('ledger checkpoints signed with Vault transit', () => {
  it('sign and verify through OpenBao, and survive a reopening', async () => {
    const signer = transitSigner(client(), await transitKey());
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-transit-'));
    await signedLedger(dir, signer);
    const checkpoints = (await readFile(join(dir, CHECKPOINT_FILE), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Checkpoint);
    expect(checkpoints.map((c) => c.seq)).toEqual([0, 2, 3]);
    expect(checkpoints.every((c) => c.alg === 'vault-transit' && c.signature.startsWith('vault:v1:'))).toBe(true);
    expect(await verifyLedger(dir, { verifier: signer })).toMatchObject({ ok: true, signing: 'verified', records: 3, unsignedTail: 0 });
    const again = await Ledger.open(dir, new ManualClock(Date.UTC(2026, 11, 7)), { signer });
    expect(again.lastSeq).toBe(3);
  });

  it('catch an edited outcome with a recomputed chain and checkpoints re-signed with a local key under the transit key id', async () => {
    const key = await transitKey();
    const signer = transitSigner(client(), key);
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-transit-'));
    await signedLedger(dir, signer);
    // The forger rewrites the action as refused, rechains, rehashes the head...
    const records = (await readFile(join(dir, LEDGER_FILE), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as LedgerRecord);
    let prev = GENESIS;
    const forged = records.map((r) => {
      const unsigned = { seq: r.seq, recordedAt: r.recordedAt, type: r.type, data: r.type === 'action' ? { ...(r.data as object), outcome: 'refused' } : r.data, prev };
      const record = { ...unsigned, hash: hashRecord(unsigned) };
      prev = record.hash;
      return record;
    });
    await writeFile(join(dir, LEDGER_FILE), `${forged.map((r) => JSON.stringify(r)).join('\n')}\n`);
    await writeFile(join(dir, HEAD_FILE), JSON.stringify({ seq: forged.length, hash: prev }));
    expect(await verifyLedger(dir, { verifier: signer })).toMatchObject({ ok: false, problem: expect.stringContaining('does not match its signed checkpoint') as unknown });
    // ...and signs new checkpoints with a key of their own, claiming the transit key's id.
    const local = parseLedgerKey(Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()), 'forger').signer;
    if (!local) throw new Error('a private key signs');
    const impostor = { ...local, algorithm: signer.algorithm, keyId: signer.keyId };
    const ledgerId = (JSON.parse((await readFile(join(dir, CHECKPOINT_FILE), 'utf8')).split('\n')[0] ?? '') as Checkpoint).ledgerId;
    const at = new Date().toISOString();
    const resigned = [await signCheckpoint(impostor, { ledgerId, seq: 0, hash: GENESIS, at }), await signCheckpoint(impostor, { ledgerId, seq: forged.length, hash: prev, at })];
    await writeFile(join(dir, CHECKPOINT_FILE), `${resigned.map((c) => JSON.stringify(c)).join('\n')}\n`);
    expect(await verifyLedger(dir, { verifier: signer })).toMatchObject({ ok: false, problem: expect.stringContaining('does not verify') as unknown });
    await expect(Ledger.open(dir, new ManualClock(0), { signer })).rejects.toMatchObject({ code: 'ledger-checkpoint-invalid' });
  });

  it('fail with a different transit key, even one of the same name on another mount', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-transit-'));
    await signedLedger(dir, transitSigner(client(), await transitKey()));
    expect(await verifyLedger(dir, { verifier: transitSigner(client(), await transitKey()) })).toMatchObject({ ok: false, problem: expect.stringContaining('not by the given key') as unknown });
  });

  it('name a Vault it cannot reach without printing the token', async () => {
    const token = `hvs.MARKER-${randomName('token')}`;
    const unreachable = transitSigner(vault({ apiVersion: 'v1', endpoint: 'http://127.0.0.1:9', token }), { mount: 'transit', key: 'ledger' });
    const error: unknown = await unreachable.sign(Buffer.from('payload')).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'ledger-sign-failed', message: expect.stringContaining('Vault could not be reached') as unknown });
    expect(inspect(error, { depth: 10 })).not.toContain(token);
    expect(JSON.stringify(error)).not.toContain(token);
  });
});
