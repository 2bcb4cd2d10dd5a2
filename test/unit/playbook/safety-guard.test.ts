import { describe, expect, it } from 'vitest';
import { findAction } from '../../../src/actions/action-registry.js';
import type { ActionDefinition } from '../../../src/actions/action-definition.js';
import type { Entity } from '../../../src/features/entity.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard, type GuardRequest } from '../../../src/playbook/safety-guard.js';

const action = (id: string): ActionDefinition => findAction(id) as ActionDefinition;
const pods = (n: number): Entity[] => Array.from({ length: n }, (_, i) => ({ key: `pod:ml-prod/p-${i}`, kind: 'pod' as const, namespace: 'ml-prod', name: `p-${i}` }));
const restartAuth: GuardRequest = {
  action: action('kubernetes.restart-deployment'), target: { kind: 'Deployment', namespace: 'ml-prod', name: 'auth' }, detector: 'auth-failure-storm',
  run: { id: 'r1', playbook: 'rotate-credentials-on-stuffing', cooldownMs: 6 * 3_600_000 }, literalTarget: true,
};

describe('SafetyGuard', () => {
  it('protects the mesh control plane and default namespaces out of the box', () => {
    const guard = new SafetyGuard();
    for (const namespace of ['istio-system', 'default']) {
      expect(guard.check({ ...restartAuth, target: { ...restartAuth.target, namespace } }, 0)).toEqual({ allowed: false, reason: `namespace ${namespace} is protected; no action may target it` });
    }
  });

  it('keeps a restart cooling down across a restart of the engine (snapshot), for another run', () => {
    const guard = new SafetyGuard();
    guard.record(restartAuth, 0);
    const restored = new SafetyGuard(DEFAULT_SAFETY_POLICY, guard.snapshot());
    expect(restored.check({ ...restartAuth, run: { ...restartAuth.run, id: 'r2' } as GuardRequest['run'] & object }, 60_000)).toMatchObject({ allowed: false, reason: expect.stringMatching(/^cooldown: deployment ml-prod\/auth was restarted by rotate-credentials-on-stuffing/) as unknown });
    expect(restored.check(restartAuth, 60_000)).toEqual({ allowed: true });
  });

  it('reads state saved before targets had cooldowns', () => {
    const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY, { events: {}, quarantined: {}, breakers: {} });
    expect(guard.check(restartAuth, 0)).toEqual({ allowed: true });
  });

  it('never lets one source open the breaker, even when the policy asks for one', () => {
    const guard = new SafetyGuard({ ...DEFAULT_SAFETY_POLICY, breaker: { ...DEFAULT_SAFETY_POLICY.breaker, minSources: 1 } });
    const one: Entity = { key: 'pod:ml-prod/p-0', kind: 'pod', name: 'p-0' };
    expect(guard.observeWindow('d', [one], 1, 0)).toBeUndefined();
    expect(guard.observeWindow('d', pods(2), 2, 0)).toBeUndefined();
    expect(guard.observeWindow('d', pods(3), 10, 0)).toBeUndefined();
    expect(guard.observeWindow('d', pods(4), 10, 0)).toMatchObject({ sources: 4, share: 0.4 });
  });

  it('needs 3 distinct sources by default', () => {
    const guard = new SafetyGuard();
    expect(guard.observeWindow('d', pods(2), 2, 0)).toBeUndefined();
    const spoofed = Array.from({ length: 9 }, (_, i): Entity => ({ key: `principal:10.0.0.${i}`, kind: 'principal', name: `10.0.0.${i}` }));
    // Nine client-claimed names and one pod: two sources, however high the share.
    expect(guard.observeWindow('d', [...spoofed, ...pods(1)], 12, 0)).toBeUndefined();
    // Nine client-claimed names and three pods: four sources among 18 - 8 = 10 counted entities.
    expect(guard.observeWindow('d', [...spoofed, ...pods(3)], 18, 0)).toMatchObject({ sources: 4, scored: 10, share: 0.4 });
  });
});
