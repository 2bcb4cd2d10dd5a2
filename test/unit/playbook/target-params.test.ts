import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/actions/action-registry.js';
import type { ActionDefinition } from '../../../src/actions/action-definition.js';
import { targetParams } from '../../../src/playbook/target-params.js';

describe('targetParams', () => {
  it('finds the parameters that pick each action target from the action itself', () => {
    const found = Object.fromEntries((ACTIONS as readonly ActionDefinition[]).map((a) => [a.id, [...targetParams(a)].sort()]));
    expect(found).toMatchObject({
      'kubernetes.quarantine-pod': ['namespace', 'pod'],
      'kubernetes.restart-deployment': ['deployment', 'namespace'],
      'vault.rotate-secret': ['mount', 'path'],
      'vault.revoke-leases': ['prefix'],
      'slack.notify': ['channel'],
    });
    // Every action that changes something has at least one.
    for (const action of ACTIONS as readonly ActionDefinition[]) expect(targetParams(action).size).toBeGreaterThan(0);
  });
});
