import { z } from 'zod';
import { defineAction } from '../action-definition.js';
import { vaultPath } from '../params.js';

/** Writes a new KV v2 version of a secret with freshly generated values for the named keys. */
export const rotateSecret = defineAction({
  id: 'vault.rotate-secret',
  provider: 'vault',
  summary: 'Write a new KV v2 version of a secret with freshly generated values',
  params: z
    .object({
      mount: z.string().regex(/^[A-Za-z0-9_-]+$/).default('secret'),
      path: vaultPath,
      /** Keys whose values are regenerated; the others are carried over from the current version. */
      keys: z.array(z.string().min(1)).min(1),
      /** Length of each generated value, in characters. */
      length: z.number().int().min(16).max(256).default(40),
    })
    .strict(),
  rbac: [],
  vault: [
    { path: '{mount}/data/{path}', capabilities: ['create', 'read', 'update'] },
    { path: '{mount}/metadata/{path}', capabilities: ['read'] },
  ],
  destructive: true,
  example: { path: 'ml-prod/frontend/api', keys: ['api-key'] },
  target: (p) => ({ kind: 'VaultSecret', name: `${p.mount}/${p.path}` }),
  describe: (p) => `write a new version of ${p.mount}/${p.path} with fresh ${p.length}-character values for ${p.keys.join(', ')} (check-and-set on the current version)`,
});
