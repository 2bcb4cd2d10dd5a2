import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadLedgerKey, parseLedgerKey } from '../../../src/audit/ledger-signer.js';
import { LedgerError } from '../../../src/shared/errors.js';

const payload = Buffer.from('meshwarden-ledger-checkpoint/v1\n{"seq":3}');

function ed25519Pem(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

describe('ledger keys', () => {
  it('signs with an Ed25519 private key and verifies with its public key alone', async () => {
    const { privatePem, publicPem } = ed25519Pem();
    const { signer } = parseLedgerKey(Buffer.from(privatePem), 'key.pem');
    const publicOnly = parseLedgerKey(Buffer.from(publicPem), 'pub.pem');
    expect(publicOnly.signer).toBeUndefined();
    if (!signer) throw new Error('a private key signs');
    const signature = await signer.sign(payload);
    expect(publicOnly.verifier.keyId).toBe(signer.keyId);
    expect(signer.keyId).toMatch(/^ed25519:[0-9a-f]{16}$/);
    expect(await publicOnly.verifier.verify(payload, signature)).toBe(true);
    expect(await publicOnly.verifier.verify(Buffer.from('meshwarden-ledger-checkpoint/v1\n{"seq":4}'), signature)).toBe(false);
    expect(await publicOnly.verifier.verify(payload, 'not base64 at all')).toBe(false);
  });

  it('signs with an HMAC secret of at least 32 bytes and names it without revealing it', async () => {
    const secret = 'k'.repeat(40);
    const { signer, verifier } = parseLedgerKey(Buffer.from(`${secret}\n`), 'hmac.key');
    if (!signer) throw new Error('an HMAC secret signs');
    expect(signer.algorithm).toBe('hmac-sha256');
    expect(signer.keyId).not.toContain(secret.slice(0, 8));
    expect(await verifier.verify(payload, await signer.sign(payload))).toBe(true);
    const other = parseLedgerKey(Buffer.from('j'.repeat(40)), 'other.key');
    expect(other.verifier.keyId).not.toBe(verifier.keyId);
    expect(await other.verifier.verify(payload, await signer.sign(payload))).toBe(false);
    expect(inspect(signer, { depth: 5 })).not.toContain(secret);
    expect(JSON.stringify(signer)).not.toContain(secret);
  });

  it('refuses short, whitespace-only and non-Ed25519 keys without quoting them', () => {
    for (const content of ['short-secret', ' \n\t \n'.repeat(10)]) {
      expect(() => parseLedgerKey(Buffer.from(content), 'k')).toThrow(/neither an Ed25519 PEM key nor an HMAC secret of at least 32 bytes/);
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => parseLedgerKey(Buffer.from(rsa), 'rsa.pem')).toThrow(/holds a rsa key; use Ed25519/);
    const garbled = '-----BEGIN PRIVATE KEY-----\nTUFSS0VSLVNFQ1JFVA==\n-----END PRIVATE KEY-----\n';
    try {
      parseLedgerKey(Buffer.from(garbled), 'bad.pem');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LedgerError);
      expect((error as LedgerError).code).toBe('ledger-key-invalid');
      expect(inspect(error, { depth: 5 })).not.toContain('TUFSS0VSLVNFQ1JFVA');
    }
  });

  it('names an unreadable key file with code ledger-key-unreadable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-key-'));
    await expect(loadLedgerKey(join(dir, 'missing.pem'))).rejects.toMatchObject({ code: 'ledger-key-unreadable', message: expect.stringContaining('ENOENT') as unknown });
    await writeFile(join(dir, 'hmac.key'), 'x'.repeat(32));
    expect((await loadLedgerKey(join(dir, 'hmac.key'))).signer?.algorithm).toBe('hmac-sha256');
  });
});
