import { describe, expect, it } from 'vitest';
import { findAction } from '../../../../src/actions/action-registry.js';
import { vaultPolicyFor } from '../../../../src/actions/vault/vault-policy.js';

function action(id: string): NonNullable<ReturnType<typeof findAction>> {
  const found = findAction(id);
  if (found === undefined) throw new Error(id);
  return found;
}

describe('vaultPolicyFor', () => {
  it('fills the declared paths from the parameters and merges capabilities per path', () => {
    const rotate = action('vault.rotate-secret');
    const revoke = action('vault.revoke-leases');
    const policy = vaultPolicyFor([
      { action: rotate, params: rotate.params.parse({ path: 'ml-prod/auth/session', keys: ['signing-key'] }) as Record<string, unknown> },
      { action: revoke, params: { prefix: 'database/creds/fraud-detector' } },
    ]);

    expect(policy).toBe(
      [
        'path "secret/data/ml-prod/auth/session" {\n  capabilities = ["read","update"]\n}\n',
        'path "secret/metadata/ml-prod/auth/session" {\n  capabilities = ["read","update"]\n}\n',
        'path "sys/leases/lookup/database/creds/fraud-detector/*" {\n  capabilities = ["list","sudo"]\n}\n',
        'path "sys/leases/revoke-prefix/database/creds/fraud-detector" {\n  capabilities = ["sudo","update"]\n}\n',
      ].join('\n'),
    );
  });

  it('refuses a path whose placeholder has no parameter', () => {
    expect(() => vaultPolicyFor([{ action: action('vault.rotate-database-credentials'), params: { role: 'x' } }])).toThrow(
      'needs parameter "mount"',
    );
  });
});
