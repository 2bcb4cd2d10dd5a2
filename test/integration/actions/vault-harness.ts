import vault from 'node-vault';
import { z } from 'zod';
import { findAction } from '../../../src/actions/action-registry.js';
import { vaultPolicyFor } from '../../../src/actions/vault/vault-policy.js';
import { randomName, vaultEndpoint, vaultRootToken } from '../../env/backends.js';

const tokenCreated = z.object({ auth: z.object({ client_token: z.string().min(1) }) });

/** A client holding the dev server's root token, for arranging and checking. */
export function rootClient(): vault.client {
  return vault({ apiVersion: 'v1', endpoint: vaultEndpoint(), token: vaultRootToken() });
}

/**
 * A client whose token carries only a policy built by `vaultPolicyFor` from what the action
 * declares for these parameters (and no `default` policy): anything beyond fails with 403.
 */
export async function clientFor(actionId: string, params: Readonly<Record<string, unknown>>): Promise<{ client: vault.client; token: string; policy: string }> {
  const action = findAction(actionId);
  if (action === undefined) throw new Error(`${actionId} is not registered`);
  const parsed = action.params.parse(params) as Record<string, unknown>;
  const policy = vaultPolicyFor([{ action, params: parsed }]);
  const name = randomName('meshwarden-action');
  const root = rootClient();
  await root.addPolicy({ name, rules: policy });
  const created = tokenCreated.parse(await root.tokenCreate({ policies: [name], no_default_policy: true, ttl: '10m' }));
  const token = created.auth.client_token;
  return { client: vault({ apiVersion: 'v1', endpoint: vaultEndpoint(), token }), token, policy };
}

export { vaultStatusOf } from '../../env/vault-status.js';
