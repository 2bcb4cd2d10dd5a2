/**
 * A client behind the ingress gateway cannot steer the response: rotating the identity it claims
 * (a new X-Forwarded-For value per burst) must not re-run a rotation or restart of the same target,
 * must not open the breaker that suspends every automatic action, and a principal name it chose
 * must never become the pod, Deployment or secret path a step acts on.
 */
import { describe, expect, it } from 'vitest';
import { defineAction, type ActionDefinition } from '../../src/actions/action-definition.js';
import { findAction } from '../../src/actions/action-registry.js';
import { loadConfig } from '../../src/config/load-config.js';
import { applyVarOverrides } from '../../src/playbook/playbook-vars.js';
import { ClusterRails } from '../../src/coordination/cluster-rails.js';
import { MemoryRunClaims } from '../../src/coordination/run-claims.js';
import type { Anomaly } from '../../src/detect/anomaly.js';
import type { Entity } from '../../src/features/entity.js';
import { PlaybookEngine } from '../../src/playbook/playbook-engine.js';
import { playbookSchema, type PlaybookSpec } from '../../src/playbook/playbook-spec.js';
import { RunExecutor } from '../../src/playbook/run-executor.js';
import { MemoryRunStore, type StepResult } from '../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../../src/playbook/safety-guard.js';
import { IncidentTracker } from '../../src/triage/incident-tracker.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';

const T0 = Date.parse('2026-11-03T09:05:00Z');

/** The shipped playbooks with the values an install sets (the rotation names no site's secret itself). */
async function shippedPlaybooks(): Promise<PlaybookSpec[]> {
  const config = await loadConfig(['playbooks']);
  expect(config.problems).toEqual([]);
  const installed = applyVarOverrides(config.playbooks.map((p) => p.value), { 'rotate-credentials-on-stuffing': { authNamespace: 'ml-prod', sessionSecretPath: 'ml-prod/auth/session' } });
  expect(installed.problems).toEqual([]);
  return installed.playbooks;
}

/**
 * A principal named from the head of the X-Forwarded-For value the client sent (how a gateway named
 * external callers before trusted hops): no identity the engine established.
 */
function spoofed(name: string): Entity {
  return { key: `principal:${name}`, kind: 'principal', name, labels: { 'meshwarden.io/principal': 'external' } };
}

/** A principal named by the peer address Envoy itself saw. */
function peer(address: string): Entity {
  return { key: `principal:${address}`, kind: 'principal', name: address, labels: { 'meshwarden.io/principal': 'external' }, identity: 'ip' };
}

function stuffing(entity: Entity, at: number): Anomaly {
  return {
    id: `auth-failure-storm|${entity.key}|${at}`, detector: 'auth-failure-storm', severity: 'high', entity, score: 0.979,
    windowStart: at - 60_000, windowEnd: at, evidence: [{ feature: 'ratio_401_403', observed: 1, expected: 0.2, spread: 0.1, score: 0.979 }],
  };
}

describe('spoofed identity rotation against rotate-credentials-on-stuffing', () => {
  it('rotates the signing key and restarts auth once, however many forwarded-for values the client cycles through in a minute (dry-run replay)', async () => {
    const playbooks = await shippedPlaybooks();
    const engine = new PlaybookEngine(playbooks, { dryRun: true });
    const triage = new IncidentTracker(10 * 60_000);
    const executor = new RunExecutor({
      playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard: new SafetyGuard(DEFAULT_SAFETY_POLICY), store: new MemoryRunStore(),
      ledger: { append: () => undefined, flush: () => Promise.resolve() }, actionDeps: { clock: new ManualClock(T0), logger: silentLogger() },
    });
    const results: StepResult[] = [];
    // Six bursts 10 s apart, each with a fresh X-Forwarded-For head: six principals, six incidents.
    for (let i = 0; i < 6; i++) {
      const anomaly = stuffing(spoofed(`203.0.113.${50 + i}`), T0 + i * 10_000);
      const { incident } = triage.observe(anomaly);
      for (const run of engine.handle(anomaly, incident).runs) results.push(...executor.dryRun(run));
    }
    const acted = (action: string): StepResult[] => results.filter((r) => r.action === action && r.outcome === 'dry-run');
    expect(acted('vault.rotate-secret').map((r) => r.target)).toEqual(['VaultSecret secret/ml-prod/auth/session']);
    expect(acted('kubernetes.restart-deployment').map((r) => r.target)).toEqual(['Deployment ml-prod/auth']);
    // Every alert still goes out: the SOC sees each burst.
    expect(acted('slack.notify')).toHaveLength(6);
    // The later bursts' rotations are covered by the first run's, which took that very step.
    const covered = results.filter((r) => r.outcome === 'covered' && r.action === 'vault.rotate-secret');
    expect(covered).toHaveLength(5);
    expect(covered.every((r) => /^covered by run rotate-credentials-on-stuffing\|[0-9a-f]{16} \(rotate-credentials-on-stuffing\), which took the same step on VaultSecret secret\/ml-prod\/auth\/session at 2026-11-03T09:05:00.000Z$/.test(r.description))).toBe(true);
  });

  it('does not rotate twice when two replicas each see a different spoofed name (live, claims shared across replicas)', async () => {
    const playbooks = await shippedPlaybooks();
    const clock = new ManualClock(T0);
    const claims = new MemoryRunClaims(clock);
    const effects: string[] = [];
    const counting = (id: string): ActionDefinition | undefined => {
      const real = findAction(id);
      if (real === undefined || id === 'slack.approval') return real;
      return defineAction({ ...real, execute: (params: unknown) => {
        effects.push(`${id} ${JSON.stringify(real.target(params))}`);
        return Promise.resolve({ outcome: 'succeeded' as const, summary: id, details: {} });
      } });
    };
    const replica = (): { engine: PlaybookEngine; executor: RunExecutor; triage: IncidentTracker } => ({
      engine: new PlaybookEngine(playbooks, { dryRun: false }),
      triage: new IncidentTracker(10 * 60_000),
      executor: new RunExecutor({
        playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard: new SafetyGuard(DEFAULT_SAFETY_POLICY), store: new MemoryRunStore(),
        ledger: { append: () => undefined, flush: () => Promise.resolve() }, actionDeps: { clock, logger: silentLogger() }, findAction: counting,
        claims: { store: claims, holdAtLeastMs: 60_000 }, clusterRails: new ClusterRails(claims, DEFAULT_SAFETY_POLICY, 86_400_000),
      }),
    });
    const replicas = [replica(), replica()];
    for (let i = 0; i < 4; i++) {
      const r = replicas[i % 2];
      if (r === undefined) continue;
      const anomaly = stuffing(spoofed(`198.51.100.${i + 1}`), T0 + i * 10_000);
      clock.set(anomaly.windowEnd);
      for (const run of r.engine.handle(anomaly, r.triage.observe(anomaly).incident).runs) await r.executor.start(run);
    }
    expect(effects.filter((e) => e.startsWith('vault.rotate-secret'))).toHaveLength(1);
    expect(effects.filter((e) => e.startsWith('kubernetes.restart-deployment'))).toHaveLength(1);
    expect(effects.filter((e) => e.startsWith('slack.notify'))).toHaveLength(4);
  });
});

describe('the breaker counts trusted sources', () => {
  const realClients = Array.from({ length: 10 }, (_, i) => peer(`10.${i}.0.${10 + i}`));

  it('stays closed when 8 spoofed principals fail against 10 real clients', () => {
    const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
    const flagged = Array.from({ length: 8 }, (_, i) => spoofed(`203.0.113.${i + 1}`));
    // 8 of 18 entities (44%) flagged: without trusted sources this opens the breaker.
    expect(guard.observeWindow('auth-failure-storm', flagged, flagged.length + realClients.length, T0)).toBeUndefined();
    expect(guard.check({ action: findAction('vault.rotate-secret') as ActionDefinition, target: { kind: 'VaultSecret', name: 'secret/ml-prod/auth/session' }, detector: 'auth-failure-storm' }, T0 + 1).allowed).toBe(true);
  });

  it('stays closed when every entity one client can name is flagged: spoofed names, or many addresses of one network', () => {
    const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
    const names = Array.from({ length: 40 }, (_, i) => spoofed(`victim-${i}`));
    expect(guard.observeWindow('auth-failure-storm', names, 40, T0)).toBeUndefined();
    const oneHost = Array.from({ length: 40 }, (_, i) => peer(`2001:db8:0:7::${(i + 1).toString(16)}`));
    expect(guard.observeWindow('auth-failure-storm', oneHost, 40, T0)).toBeUndefined();
    const oneSubnet = Array.from({ length: 40 }, (_, i) => peer(`198.51.100.${i + 1}`));
    expect(guard.observeWindow('auth-failure-storm', oneSubnet, 40, T0)).toBeUndefined();
  });

  it('still opens when the flagged entities come from many trusted sources (a detector gone wrong)', () => {
    const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
    expect(guard.observeWindow('auth-failure-storm', realClients.slice(0, 8), 18, T0)).toMatchObject({ sources: 8, scored: 18 });
  });
});

describe('a principal name never picks a target', () => {
  // The SOC's playbook as check accepts it for pods and models; the run is then handed a principal
  // (a detector watching every kind), so the executor's own render-time rule is what stands.
  const spec = playbookSchema.parse({
    apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name: 'per-user-creds' },
    spec: {
      trigger: { detectors: ['auth-failure-storm'], entityKinds: ['pod', 'model'] },
      steps: [
        { name: 'alert', action: 'slack.notify', params: { channel: '#soc', text: 'stuffing from {{ entity.name }}' }, onError: 'continue' },
        { name: 'rotate user creds', action: 'vault.rotate-secret', params: { path: 'users/{{ entity.name }}/creds', keys: ['password'] } },
        { name: 'isolate', action: 'kubernetes.quarantine-pod', params: { namespace: 'ml-prod', pod: '{{ entity.name }}' } },
      ],
    },
  });

  function dryRun(entity: Entity): StepResult[] {
    const executor = new RunExecutor({
      playbooks: new Map([['per-user-creds', spec]]), guard: new SafetyGuard(DEFAULT_SAFETY_POLICY), store: new MemoryRunStore(),
      ledger: { append: () => undefined, flush: () => Promise.resolve() }, actionDeps: { clock: new ManualClock(T0), logger: silentLogger() },
    });
    const anomaly = stuffing(entity, T0);
    return executor.dryRun({ id: `per-user-creds|${entity.key}`, playbook: 'per-user-creds', incidentId: 'i', anomaly, createdAt: T0, dryRun: true, state: 'running', next: 0, results: [] });
  }

  it.each([
    ['a path traversal', 'victim/../x'],
    ['extra path segments', 'users/victim-user'],
    ['a template of its own', '{{x}}'],
    ['a control character', 'victim\u001b[2J'],
    ['a plain-looking name with no established identity', 'victim-user'],
  ])('refuses %s from the client before it reaches a rendered target', (_, name) => {
    const results = dryRun(spoofed(name));
    const targets = results.filter((r) => r.action !== 'slack.notify');
    expect(targets.map((r) => [r.outcome, r.target])).toEqual([['refused', '-'], ['skipped', '-']]);
    expect(targets[0]?.description).toContain('may not pick the target (parameter path)');
    expect(results.some((r) => r.outcome === 'dry-run' && r.action !== 'slack.notify')).toBe(false);
    // The alert still goes out, with any template braces split so nothing re-expands them.
    const alert = results.find((r) => r.action === 'slack.notify');
    expect(alert?.outcome).toBe('dry-run');
    expect(alert?.description).not.toContain('{{');
  });

  it('lets an address Envoy itself saw through (typed ip identity, no separators)', () => {
    const results = dryRun(peer('203.0.113.50'));
    expect(results.find((r) => r.action === 'vault.rotate-secret')).toMatchObject({ outcome: 'dry-run', target: 'VaultSecret secret/users/203.0.113.50/creds' });
  });
});
