import { createHash, createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LedgerError } from '../shared/errors.js';

/** How a checkpoint is signed. */
export type SignatureAlgorithm = 'ed25519' | 'hmac-sha256' | 'vault-transit';

/**
 * Checks checkpoint signatures. `keyId` names the key without revealing it (a fingerprint of the
 * public key, a keyed digest of an HMAC secret, or the transit key's path), so a checkpoint signed
 * with another key is reported as such rather than as a bad signature.
 */
export interface LedgerVerifier {
  readonly algorithm: SignatureAlgorithm;
  readonly keyId: string;
  verify(payload: Buffer, signature: string): Promise<boolean>;
}

/** Signs checkpoints; the key stays inside (a file read once, or Vault). */
export interface LedgerSigner extends LedgerVerifier {
  sign(payload: Buffer): Promise<string>;
}

/** What a key file gives: a signer when it holds a private or secret key, always a verifier. */
export interface LedgerKey {
  readonly signer?: LedgerSigner;
  readonly verifier: LedgerVerifier;
}

/** Shorter secrets are refused: an HMAC key must not be guessable. */
export const MIN_HMAC_KEY_BYTES = 32;

/**
 * Reads a ledger key file: an Ed25519 private key (PKCS#8 PEM, signs and verifies), an Ed25519
 * public key (SPKI PEM, verifies only: what an auditor needs) or, for anything else, an HMAC-SHA256
 * secret of at least 32 bytes. Errors name the file and the problem, never its content.
 */
export async function loadLedgerKey(path: string): Promise<LedgerKey> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new LedgerError('ledger-key-unreadable', `cannot read the ledger key file ${path} (${code})`);
  }
  return parseLedgerKey(bytes, path);
}

/**
 * The signer of a key file, for the engine that writes the ledger. A public key can only verify, so
 * it is refused here rather than when the first checkpoint is due; `named` says where the path came
 * from (`--ledger-key`, `ledger.key.file`).
 */
export async function loadLedgerSigner(path: string, named: string): Promise<LedgerSigner> {
  const { signer } = await loadLedgerKey(path);
  if (!signer) throw new LedgerError('ledger-key-invalid', `${named} ${path} holds a public key; signing needs the private key (verify takes the public one)`);
  return signer;
}

/** `loadLedgerKey` for bytes already read; `source` names them in errors. */
export function parseLedgerKey(bytes: Buffer, source: string): LedgerKey {
  const text = bytes.toString('utf8');
  if (text.includes('-----BEGIN')) return parsePem(text, source);
  const secret = Buffer.from(text.trim(), 'utf8');
  if (secret.length < MIN_HMAC_KEY_BYTES) {
    throw new LedgerError('ledger-key-invalid', `the ledger key file ${source} is neither an Ed25519 PEM key nor an HMAC secret of at least ${MIN_HMAC_KEY_BYTES} bytes`);
  }
  const signer = hmacSigner(secret);
  return { signer, verifier: signer };
}

function parsePem(text: string, source: string): LedgerKey {
  // Node's parse errors do not quote the key, but they are not kept as `cause` all the same.
  let key: KeyObject;
  try {
    key = text.includes('PRIVATE KEY') ? createPrivateKey(text) : createPublicKey(text);
  } catch {
    throw new LedgerError('ledger-key-invalid', `the ledger key file ${source} holds a PEM block that is not a readable key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new LedgerError('ledger-key-invalid', `the ledger key file ${source} holds a ${key.asymmetricKeyType ?? 'symmetric'} key; use Ed25519 (openssl genpkey -algorithm ed25519)`);
  }
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const keyId = `ed25519:${createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16)}`;
  const verifier: LedgerVerifier = {
    algorithm: 'ed25519',
    keyId,
    verify: (payload, signature) => Promise.resolve(verifyEd25519(publicKey, payload, signature)),
  };
  if (key.type !== 'private') return { verifier };
  const signer: LedgerSigner = { ...verifier, sign: (payload) => Promise.resolve(sign(null, payload, key).toString('base64')) };
  return { signer, verifier };
}

function verifyEd25519(publicKey: KeyObject, payload: Buffer, signature: string): boolean {
  try {
    return verify(null, payload, publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

function hmacSigner(secret: Buffer): LedgerSigner {
  const mac = (payload: Buffer): Buffer => createHmac('sha256', secret).update(payload).digest();
  // A keyed digest of a fixed label identifies the key without letting anyone test guesses offline
  // faster than against the signatures themselves.
  const keyId = `hmac:${mac(Buffer.from('meshwarden ledger key id')).toString('hex').slice(0, 16)}`;
  return {
    algorithm: 'hmac-sha256',
    keyId,
    sign: (payload) => Promise.resolve(mac(payload).toString('base64')),
    verify: (payload, signature) => {
      const expected = mac(payload);
      const given = Buffer.from(signature, 'base64');
      return Promise.resolve(given.length === expected.length && timingSafeEqual(given, expected));
    },
  };
}
