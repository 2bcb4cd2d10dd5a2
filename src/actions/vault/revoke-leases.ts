import { z } from 'zod';
import { defineAction } from '../action-definition.js';
import { vaultPath } from '../params.js';

/** Revokes every lease under a prefix (e.g. all dynamic database credentials of one role). */
export const revokeLeases = defineAction({
  id: 'vault.revoke-leases',
  provider: 'vault',
  summary: 'Revoke every Vault lease under a prefix',
  params: z.object({ prefix: vaultPath, sync: z.boolean().default(true) }).strict(),
  rbac: [],
  vault: [{ path: 'sys/leases/revoke-prefix/{prefix}', capabilities: ['update', 'sudo'] }],
  destructive: true,
  example: { prefix: 'database/creds/fraud-detector' },
  target: (p) => ({ kind: 'VaultLeasePrefix', name: p.prefix }),
  describe: (p) => `revoke every lease under ${p.prefix}${p.sync ? ', waiting until they are gone' : ''}`,
});
