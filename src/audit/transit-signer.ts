import type NodeVault from 'node-vault';
import { z } from 'zod';
import { vaultActionError, vaultPath } from '../actions/vault/vault-call.js';
import { describeZodIssues } from '../shared/describe-issues.js';
import { LedgerError } from '../shared/errors.js';
import type { LedgerSigner } from './ledger-signer.js';

/** Where the transit key lives: `<mount>/keys/<key>`. */
export interface TransitKey {
  readonly mount: string;
  readonly key: string;
}

const signed = z.object({ data: z.object({ signature: z.string().regex(/^vault:v\d+:/, 'a transit signature') }) });
const verified = z.object({ data: z.object({ valid: z.boolean() }) });

/**
 * Signs checkpoints with a key of Vault's transit engine (`<mount>/sign/<key>`), so the key never
 * leaves Vault: a host that can write the state directory, and even the engine's memory, holds no
 * key to forge with, only a token that can ask Vault to sign. Use an `ed25519` transit key.
 * Vault's errors are rebuilt without the request (its headers carry the token).
 */
export function transitSigner(vault: NodeVault.client, transit: TransitKey): LedgerSigner {
  const sign = vaultPath(transit.mount, 'sign', transit.key);
  const verify = vaultPath(transit.mount, 'verify', transit.key);
  const call = async <S extends z.ZodType>(what: string, path: string, body: Record<string, string>, schema: S): Promise<z.output<S>> => {
    let response: unknown;
    try {
      response = await vault.write(path, body);
    } catch (error) {
      const rebuilt = vaultActionError(what, error);
      throw new LedgerError('ledger-sign-failed', rebuilt.message, { retriable: rebuilt.retriable });
    }
    const parsed = schema.safeParse(response);
    if (!parsed.success) throw new LedgerError('ledger-sign-failed', `${what}: unexpected response from Vault (${describeZodIssues(parsed.error)})`);
    return parsed.data;
  };
  return {
    algorithm: 'vault-transit',
    keyId: `transit:${transit.mount}/${transit.key}`,
    sign: async (payload) => (await call(`signing a ledger checkpoint with ${sign}`, sign, { input: payload.toString('base64') }, signed)).data.signature,
    // Anything but a transit signature is not one of ours; Vault would answer it with a 400.
    verify: async (payload, signature) =>
      /^vault:v\d+:/.test(signature)
      && (await call(`verifying a ledger checkpoint with ${verify}`, verify, { input: payload.toString('base64'), signature }, verified)).data.valid,
  };
}

/** Parses `<mount>/<key>` (the mount may have several segments: `security/transit/ledger`). */
export function parseTransitKey(text: string): TransitKey | undefined {
  const at = text.lastIndexOf('/');
  if (at <= 0 || at === text.length - 1) return undefined;
  return { mount: text.slice(0, at), key: text.slice(at + 1) };
}
