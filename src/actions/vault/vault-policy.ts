import type { ActionDefinition, VaultRule } from '../action-definition.js';

/** One action with the parameters its Vault paths are filled from. */
export interface VaultGrant {
  readonly action: Pick<ActionDefinition, 'id' | 'vault'>;
  /** Parsed parameters; `{name}` placeholders in the declared paths take these values. */
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * The Vault policy (HCL) granting exactly what the given actions declare for these parameters:
 * each declared path with its placeholders filled, capabilities merged per path. Throws when a
 * placeholder has no parameter, rather than granting a path nobody meant.
 */
export function vaultPolicyFor(grants: readonly VaultGrant[]): string {
  const capabilities = new Map<string, Set<VaultRule['capabilities'][number]>>();
  for (const { action, params } of grants) {
    for (const rule of action.vault ?? []) {
      const path = fillPath(rule.path, params, action.id);
      const set = capabilities.get(path) ?? new Set();
      for (const capability of rule.capabilities) set.add(capability);
      capabilities.set(path, set);
    }
  }
  return [...capabilities.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, set]) => `path ${JSON.stringify(path)} {\n  capabilities = ${JSON.stringify([...set].sort())}\n}\n`)
    .join('\n');
}

function fillPath(template: string, params: Readonly<Record<string, unknown>>, actionId: string): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (_placeholder, name: string) => {
    const value = params[name];
    if (typeof value !== 'string' || value === '') {
      throw new Error(`${actionId}: Vault path ${template} needs parameter "${name}"`);
    }
    if (value.includes('"') || value.includes('\n')) throw new Error(`${actionId}: parameter "${name}" cannot go into a policy path`);
    return value;
  });
}
