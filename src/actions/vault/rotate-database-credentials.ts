import { z } from 'zod';
import { ActionError } from '../../shared/errors.js';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { vaultCall, vaultClient, vaultPath } from './vault-call.js';

const ID = 'vault.rotate-database-credentials';

const params = z
  .object({
    mount: z.string().regex(/^[A-Za-z0-9_-]+$/).default('database'),
    role: z.string().regex(/^[A-Za-z0-9_.{} -]+$/, 'must be a static role name'),
  })
  .strict();
type Params = z.output<typeof params>;

// Only the rotation time is read: the response also carries the password, which is dropped here.
const staticCreds = z.object({ data: z.object({ last_vault_rotation: z.string(), ttl: z.number().optional() }) });

/**
 * Rotates the password of a database secrets engine static role (`rotate-role`); Vault sets the new
 * password in the database and the old one stops working. The role's `last_vault_rotation` makes it
 * idempotent: a role already rotated after the anomaly's window is `already-done`, since the
 * credential that could have leaked is already gone.
 */
export const rotateDatabaseCredentials = defineAction({
  id: ID,
  provider: 'vault',
  summary: 'Rotate the password of a Vault database static role',
  params,
  rbac: [],
  vault: [
    { path: '{mount}/rotate-role/{role}', capabilities: ['update'] },
    { path: '{mount}/static-creds/{role}', capabilities: ['read'] },
  ],
  destructive: true,
  example: { role: 'fraud-detector' },
  target: (p) => ({ kind: 'VaultStaticRole', name: `${p.mount}/${p.role}` }),
  describe: (p) => `rotate the password of static role ${p.role} on ${p.mount}/ (the old password stops working)`,
  execute: rotateRole,
});

async function rotateRole(p: Params, ctx: ActionContext): Promise<ActionResult> {
  const vault = vaultClient(ctx, ID);
  const name = `${p.mount}/${p.role}`;
  const credsPath = vaultPath(p.mount, 'static-creds', p.role);
  const before = await vaultCall(ctx, `read static role ${name}`, staticCreds, () => vault.read(credsPath));
  const lastRotation = Date.parse(before.data.last_vault_rotation);
  if (Number.isFinite(lastRotation) && lastRotation >= ctx.anomaly.windowEnd) {
    return {
      outcome: 'already-done',
      summary: `static role ${name} was already rotated at ${before.data.last_vault_rotation}, after the anomaly`,
      details: { role: name, rotatedAt: before.data.last_vault_rotation },
    };
  }
  await vaultCall(ctx, `rotate static role ${name}`, z.unknown(), () => vault.write(vaultPath(p.mount, 'rotate-role', p.role), {}));
  const after = await vaultCall(ctx, `read static role ${name}`, staticCreds, () => vault.read(credsPath));
  if (after.data.last_vault_rotation === before.data.last_vault_rotation) {
    throw new ActionError('server', `static role ${name}: Vault accepted the rotation but its last rotation time did not change`);
  }
  return {
    outcome: 'succeeded',
    summary: `rotated the password of static role ${name} (previous rotation ${before.data.last_vault_rotation})`,
    details: { role: name, rotatedAt: after.data.last_vault_rotation, previousRotation: before.data.last_vault_rotation },
  };
}
