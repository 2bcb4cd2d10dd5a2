import type NodeVault from 'node-vault';
import { z } from 'zod';
import { ActionError } from '../../shared/errors.js';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { vaultPath as vaultPathParam } from '../params.js';
import { vaultCall, vaultCallOrAbsent, vaultClient, vaultPath } from './vault-call.js';

const ID = 'vault.revoke-leases';
/** Bounds on the lease listing, so a huge or deep prefix cannot stall the step. */
const MAX_LEASES = 10_000;
const MAX_DEPTH = 16;

const params = z.object({ prefix: vaultPathParam, sync: z.boolean().default(true) }).strict();
type Params = z.output<typeof params>;

const listResponse = z.object({ data: z.object({ keys: z.array(z.string()) }) });

/**
 * Revokes every lease under a prefix (e.g. all dynamic database credentials of one role) with
 * `sys/leases/revoke-prefix`, after counting them (`sys/leases/lookup`, which also needs sudo). A
 * prefix with no lease left is `already-done`: revoking again would change nothing.
 */
export const revokeLeases = defineAction({
  id: ID,
  provider: 'vault',
  summary: 'Revoke every Vault lease under a prefix',
  params,
  rbac: [],
  vault: [
    { path: 'sys/leases/lookup/{prefix}/*', capabilities: ['list', 'sudo'] },
    { path: 'sys/leases/revoke-prefix/{prefix}', capabilities: ['update', 'sudo'] },
  ],
  destructive: true,
  example: { prefix: 'database/creds/fraud-detector' },
  target: (p) => ({ kind: 'VaultLeasePrefix', name: p.prefix }),
  describe: (p) => `revoke every lease under ${p.prefix}${p.sync ? ', waiting until they are gone' : ''}`,
  execute: revoke,
});

async function revoke(p: Params, ctx: ActionContext): Promise<ActionResult> {
  const vault = vaultClient(ctx, ID);
  const prefix = vaultPath(p.prefix);
  const leases = await countLeases(ctx, vault, prefix, 0);
  if (leases === 0) {
    return { outcome: 'already-done', summary: `no lease left under ${p.prefix}`, details: { prefix: p.prefix, leasesRevoked: 0 } };
  }
  await vaultCall(ctx, `revoke the leases under ${p.prefix}`, z.unknown(), () =>
    vault.write(`sys/leases/revoke-prefix/${prefix}`, { sync: p.sync }),
  );
  return {
    outcome: 'succeeded',
    summary: `revoked ${leases} lease(s) under ${p.prefix}${p.sync ? '' : ' (revocation continues in the background)'}`,
    details: { prefix: p.prefix, leasesRevoked: leases, sync: p.sync },
  };
}

/** Counts the leases under `prefix`, walking the lookup tree (keys ending in `/` are folders). */
async function countLeases(ctx: ActionContext, vault: NodeVault.client, prefix: string, depth: number): Promise<number> {
  if (depth > MAX_DEPTH) throw new ActionError('client', `lease prefix ${prefix} is nested deeper than ${MAX_DEPTH} levels`);
  const listed = await vaultCallOrAbsent(ctx, `list the leases under ${prefix}`, listResponse, () => vault.list(`sys/leases/lookup/${prefix}/`));
  let count = 0;
  for (const key of listed?.data.keys ?? []) {
    count += key.endsWith('/') ? await countLeases(ctx, vault, `${prefix}/${key.slice(0, -1)}`, depth + 1) : 1;
    if (count > MAX_LEASES) throw new ActionError('client', `more than ${MAX_LEASES} leases under ${prefix}; revoke a narrower prefix`);
  }
  return count;
}
