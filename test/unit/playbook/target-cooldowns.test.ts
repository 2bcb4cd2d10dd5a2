import { describe, expect, it } from 'vitest';
import { findAction } from '../../../src/actions/action-registry.js';
import type { ActionDefinition } from '../../../src/actions/action-definition.js';
import { describeTarget, TargetCooldowns } from '../../../src/playbook/target-cooldowns.js';

const rotate = findAction('vault.rotate-secret') as ActionDefinition;
const restart = findAction('kubernetes.restart-deployment') as ActionDefinition;
const secret = { kind: 'VaultSecret', name: 'secret/ml-prod/auth/session' };
const HOUR = 3_600_000;
const run = (id: string, cooldownMs = 6 * HOUR) => ({ id, playbook: 'rotate-credentials-on-stuffing', cooldownMs });

describe('TargetCooldowns', () => {
  it('refuses the same action on the same target within the acting playbook cooldown, naming who acted and when', () => {
    const cooldowns = new TargetCooldowns();
    cooldowns.record(rotate, secret, run('r1'), 0);
    expect(cooldowns.check(rotate, secret, run('r2', 60_000), HOUR)).toBe(
      'cooldown: secret secret/ml-prod/auth/session was rotated by rotate-credentials-on-stuffing at 1970-01-01T00:00:00.000Z; the same action may not touch it again before 1970-01-01T06:00:00.000Z',
    );
    expect(cooldowns.check(rotate, secret, run('r2'), 6 * HOUR)).toBeUndefined();
  });

  it('lets the run that acted ask again (a resumed step) and other actions or targets through', () => {
    const cooldowns = new TargetCooldowns();
    cooldowns.record(rotate, secret, run('r1'), 0);
    expect(cooldowns.check(rotate, secret, run('r1'), 1)).toBeUndefined();
    expect(cooldowns.check(rotate, { ...secret, name: 'secret/ml-prod/other' }, run('r2'), 1)).toBeUndefined();
    expect(cooldowns.check(restart, secret, run('r2'), 1)).toBeUndefined();
  });

  it('survives a restart through its snapshot and drops entries that expired', () => {
    const cooldowns = new TargetCooldowns();
    cooldowns.record(rotate, secret, run('r1', HOUR), 0);
    const restored = new TargetCooldowns(cooldowns.snapshot());
    expect(restored.check(rotate, secret, run('r2'), 1)).toMatch(/^cooldown: /);
    restored.record(restart, { kind: 'Deployment', namespace: 'ml-prod', name: 'auth' }, run('r3'), 2 * HOUR);
    expect(Object.keys(restored.snapshot())).toEqual(['kubernetes.restart-deployment|Deployment/ml-prod/auth']);
  });

  it('describes targets in words', () => {
    expect(describeTarget({ kind: 'Deployment', namespace: 'ml-prod', name: 'auth' })).toBe('deployment ml-prod/auth');
    expect(describeTarget({ kind: 'VaultLeasePrefix', name: 'database/creds/x' })).toBe('lease prefix database/creds/x');
  });
});
