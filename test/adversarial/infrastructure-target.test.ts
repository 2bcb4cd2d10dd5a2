/**
 * The front door is not a suspect. A client that pushes enough bytes through the ingress gateway
 * (twenty 5 MB uploads after a quiet baseline) makes egress-spike and new-callee-edges fire on the
 * gateway pod itself; with the shipped playbooks that must never yield a step that quarantines,
 * restarts or otherwise changes the gateway, the mesh control plane or the engine's own pods.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { Anomaly } from '../../src/detect/anomaly.js';
import type { Entity } from '../../src/features/entity.js';
import { PlaybookEngine } from '../../src/playbook/playbook-engine.js';
import { playbookSchema, type PlaybookSpec } from '../../src/playbook/playbook-spec.js';
import { RunExecutor } from '../../src/playbook/run-executor.js';
import { MemoryRunStore, type StepResult } from '../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard, type SafetyPolicy } from '../../src/playbook/safety-guard.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { IncidentTracker } from '../../src/triage/incident-tracker.js';

const T0 = Date.parse('2026-11-03T12:00:00Z');
/** A cluster whose operators trimmed the protected namespaces: the infrastructure gate must hold on its own. */
const TRIMMED: SafetyPolicy = { ...DEFAULT_SAFETY_POLICY, protectedNamespaces: ['kube-system'] };
const CHANGES = new Set(['kubernetes.quarantine-pod', 'kubernetes.delete-pod', 'kubernetes.scale', 'kubernetes.restart-deployment', 'kubernetes.rollback-deployment']);

function pod(namespace: string, name: string, workload: string, extra: Partial<Entity> = {}): Entity {
  return { key: `pod:${namespace}/${name}`, kind: 'pod', namespace, name, pod: name, workload, ...extra };
}

const EDGE_GATEWAY = pod('edge', 'istio-ingressgateway-7f6d5c4b3-fghij', 'istio-ingressgateway', { labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } });

const GATEWAYS: [string, Entity][] = [
  ['the Istio ingress gateway', pod('istio-system', 'istio-ingressgateway-5c9d8f7b6-abcde', 'istio-ingressgateway', { labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' }, role: 'gateway' })],
  ['an ingress gateway installed in its own namespace', EDGE_GATEWAY],
  ['a Gateway API gateway', pod('edge', 'public-istio-6b8f9c7d5-qwert', 'public-istio', { labels: { 'gateway.networking.k8s.io/gateway-name': 'public' } })],
  ['an egress gateway recognised by its name alone', pod('mesh-egress', 'istio-egressgateway-6c5d4b3a2-zyxwv', 'istio-egressgateway')],
  ["the engine's own pod outside its namespace", pod('security', 'meshwarden-7d9c8b6f4-abcde', 'meshwarden')],
];

function heavyUploads(entity: Entity, at: number): Anomaly[] {
  return [
    { id: `egress-spike|${entity.key}|${at}`, detector: 'egress-spike', severity: 'critical', entity, score: 0.999, windowStart: at - 60_000, windowEnd: at, evidence: [{ feature: 'egress_bytes', observed: 104_857_600, expected: 1_465, spread: 400, score: 0.999 }] },
    { id: `new-callee-edges|${entity.key}|${at}`, detector: 'new-callee-edges', severity: 'high', entity, score: 0.9, windowStart: at - 60_000, windowEnd: at, evidence: [{ feature: 'new_edges', observed: 1, expected: 0.5, spread: 0.5, score: 0.9, details: ['uploads.example.net'] }] },
  ];
}

function replay(playbooks: readonly PlaybookSpec[], policy: SafetyPolicy, entity: Entity): StepResult[] {
  const engine = new PlaybookEngine(playbooks, { dryRun: true });
  const triage = new IncidentTracker(10 * 60_000);
  const executor = new RunExecutor({
    playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard: new SafetyGuard(policy), store: new MemoryRunStore(),
    ledger: { append: () => undefined, flush: () => Promise.resolve() }, actionDeps: { clock: new ManualClock(T0), logger: silentLogger() },
  });
  const results: StepResult[] = [];
  // The anomaly lasts: every playbook's `for` is met.
  for (let i = 0; i < 12; i++) {
    for (const anomaly of heavyUploads(entity, T0 + i * 60_000)) {
      for (const run of engine.handle(anomaly, triage.observe(anomaly).incident).runs) results.push(...executor.dryRun(run));
    }
  }
  return results;
}

describe('an anomaly on infrastructure never yields a step that changes it', () => {
  it.each(GATEWAYS)('%s: the shipped playbooks only alert', async (_, entity) => {
    const config = await loadConfig(['playbooks']);
    for (const policy of [DEFAULT_SAFETY_POLICY, TRIMMED]) {
      const results = replay(config.playbooks.map((p) => p.value), policy, entity);
      const attempted = results.filter((r) => CHANGES.has(r.action));
      // The shipped playbooks do try (quarantine-on-exfiltration, isolate-on-lateral-movement) ...
      expect(attempted.length).toBeGreaterThan(0);
      // ... and every attempt is refused, with the reason recorded.
      expect(attempted.filter((r) => r.outcome !== 'refused' && r.outcome !== 'skipped')).toEqual([]);
      const reasons = attempted.filter((r) => r.outcome === 'refused').map((r) => r.description);
      expect(reasons.every((d) => /^(infrastructure: |namespace \S+ is protected)/.test(d))).toBe(true);
      if (policy === TRIMMED) expect(reasons.every((d) => d.startsWith('infrastructure: '))).toBe(true);
      // The SOC is still told.
      expect(results.some((r) => r.action === 'slack.notify' && r.outcome === 'dry-run')).toBe(true);
    }
  });

  it('a templated restart of the gateway Deployment is refused as well', () => {
    const spec = playbookSchema.parse({
      apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name: 'restart-noisy' },
      spec: { trigger: { detectors: ['egress-spike'], entityKinds: ['pod'] }, steps: [{ action: 'kubernetes.restart-deployment', params: { namespace: '{{ entity.namespace }}', deployment: '{{ entity.workload }}' } }] },
    });
    const results = replay([spec], TRIMMED, EDGE_GATEWAY);
    expect(results[0]).toMatchObject({ outcome: 'refused', target: 'Deployment edge/istio-ingressgateway' });
    expect(results[0]?.description).toMatch(/^infrastructure: /);
  });

  it('acts on a gateway the playbook names literally: only a human-written target reaches it', () => {
    const spec = playbookSchema.parse({
      apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name: 'restart-edge' },
      spec: { trigger: { detectors: ['egress-spike'], entityKinds: ['pod'] }, steps: [{ action: 'kubernetes.restart-deployment', params: { namespace: 'edge', deployment: 'istio-ingressgateway' } }] },
    });
    const results = replay([spec], TRIMMED, EDGE_GATEWAY);
    expect(results[0]).toMatchObject({ outcome: 'dry-run', target: 'Deployment edge/istio-ingressgateway' });
  });
});
