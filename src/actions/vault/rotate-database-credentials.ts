import { z } from 'zod';
import { defineAction } from '../action-definition.js';

/** Rotates the password of a database secrets engine static role. */
export const rotateDatabaseCredentials = defineAction({
  id: 'vault.rotate-database-credentials',
  provider: 'vault',
  summary: 'Rotate the password of a Vault database static role',
  params: z
    .object({
      mount: z.string().regex(/^[A-Za-z0-9_-]+$/).default('database'),
      role: z.string().regex(/^[A-Za-z0-9_.{} -]+$/, 'must be a static role name'),
    })
    .strict(),
  rbac: [],
  vault: [
    { path: '{mount}/rotate-role/{role}', capabilities: ['update'] },
    { path: '{mount}/static-creds/{role}', capabilities: ['read'] },
  ],
  destructive: true,
  example: { role: 'fraud-detector' },
  target: (p) => ({ kind: 'VaultStaticRole', name: `${p.mount}/${p.role}` }),
  describe: (p) => `rotate the password of static role ${p.role} on ${p.mount}/ (the old password stops working)`,
});
