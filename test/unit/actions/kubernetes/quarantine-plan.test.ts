import { describe, expect, it } from 'vitest';
import type { V1LabelSelector, V1NetworkPolicy, V1OwnerReference, V1Pod, V1Service } from '@kubernetes/client-node';
import {
  planQuarantine,
  planRelease,
  QUARANTINE_ANNOTATIONS,
  QUARANTINE_ID_LABEL,
  QUARANTINE_LABEL,
  quarantinePolicyName,
  type QuarantineInput,
} from '../../../../src/actions/kubernetes/quarantine-plan.js';
import { kubeObject } from '../../../env/kube-object.js';

const UID = '0b5c2f7e-5d1a-4c1e-9a57-2f0f6c7d8e9a';
const NOW = Date.parse('2026-11-03T10:41:00Z');

function pod(overrides: { labels?: Record<string, string>; owner?: string | null; annotations?: Record<string, string> } = {}): V1Pod {
  return kubeObject<V1Pod>({
    metadata: {
      name: 'inference-7d9c8b6f5-x2k4p',
      namespace: 'ml-prod',
      uid: UID,
      resourceVersion: '4711',
      labels: overrides.labels ?? { app: 'inference', 'pod-template-hash': '7d9c8b6f5', tier: 'model', team: 'ml' },
      ...(overrides.annotations === undefined ? {} : { annotations: overrides.annotations }),
      ownerReferences:
        overrides.owner === null
          ? []
          : [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: overrides.owner ?? 'inference-7d9c8b6f5', uid: 'rs-uid', controller: true }],
    },
  });
}

function service(name: string, selector: Record<string, string> | undefined): V1Service {
  return kubeObject<V1Service>({ metadata: { name }, spec: selector === undefined ? {} : { selector } });
}

function policy(name: string, podSelector: Record<string, string>, rules: boolean): V1NetworkPolicy {
  return kubeObject<V1NetworkPolicy>({
    metadata: { name },
    spec: { podSelector: { matchLabels: podSelector }, policyTypes: ['Ingress'], ...(rules ? { ingress: [{ _from: [{ podSelector: {} }] }] } : {}) },
  });
}

function input(overrides: Partial<QuarantineInput> = {}): QuarantineInput {
  return {
    pod: pod(),
    controller: { kind: 'ReplicaSet', name: 'inference-7d9c8b6f5', selector: kubeObject<V1LabelSelector>({ matchLabels: { app: 'inference', 'pod-template-hash': '7d9c8b6f5' } }) },
    services: [service('inference', { app: 'inference' }), service('other', { app: 'other' }), service('manual', undefined)],
    policies: [policy('allow-model-tier', { tier: 'model' }, true), policy('deny-db', { tier: 'model' }, false)],
    detach: true,
    idempotencyKey: 'quarantine-on-exfiltration/inc-1/0',
    now: NOW,
    expireAfterMs: 24 * 3_600_000,
    ...overrides,
  };
}

describe('planQuarantine', () => {
  it('moves aside exactly the labels its ReplicaSet, Services and allow policies select on, and adds the quarantine labels', () => {
    const plan = planQuarantine(input());

    expect(plan.removedLabels).toEqual(['app', 'pod-template-hash', 'tier']);
    expect(plan.labels).toEqual({ team: 'ml', [QUARANTINE_LABEL]: 'true', [QUARANTINE_ID_LABEL]: UID });
    expect(plan.detachedFrom).toEqual(['ReplicaSet/inference-7d9c8b6f5', 'Service/inference', 'NetworkPolicy/allow-model-tier']);
    expect(plan.stillAllowedBy).toEqual([]);
    expect(plan.controllerStillSelects).toBe(false);
    expect(plan.podPatch.metadata.labels).toEqual({
      app: null, 'pod-template-hash': null, tier: null, [QUARANTINE_LABEL]: 'true', [QUARANTINE_ID_LABEL]: UID,
    });
  });

  it('drops the controller reference and records the originals, the key, the policy and the expiry in one patch guarded by the resourceVersion', () => {
    const { podPatch, expiresAt } = planQuarantine(input());

    expect(podPatch.metadata.resourceVersion).toBe('4711');
    expect(podPatch.metadata.ownerReferences).toBeNull();
    expect(podPatch.metadata.annotations).toEqual({
      [QUARANTINE_ANNOTATIONS.originalLabels]: '{"app":"inference","pod-template-hash":"7d9c8b6f5","team":"ml","tier":"model"}',
      [QUARANTINE_ANNOTATIONS.idempotencyKey]: 'quarantine-on-exfiltration/inc-1/0',
      [QUARANTINE_ANNOTATIONS.quarantinedAt]: '2026-11-03T10:41:00.000Z',
      [QUARANTINE_ANNOTATIONS.expiresAt]: '2026-11-04T10:41:00.000Z',
      [QUARANTINE_ANNOTATIONS.policy]: 'meshwarden-quarantine-inference-7d9c8b6f5-x2k4p',
      [QUARANTINE_ANNOTATIONS.releasedFrom]: 'ReplicaSet/inference-7d9c8b6f5',
    });
    expect(expiresAt).toBe('2026-11-04T10:41:00.000Z');
  });

  it('builds a deny-all policy in both directions selecting only this pod, owned by the pod', () => {
    const { policy: built, policyName } = planQuarantine(input({ expireAfterMs: undefined }));

    expect(policyName).toBe('meshwarden-quarantine-inference-7d9c8b6f5-x2k4p');
    expect(built.metadata?.namespace).toBe('ml-prod');
    expect(built.spec?.podSelector).toEqual({ matchLabels: { [QUARANTINE_LABEL]: 'true', [QUARANTINE_ID_LABEL]: UID } });
    expect(built.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(built.spec?.ingress).toBeUndefined();
    expect(built.spec?.egress).toBeUndefined();
    expect(built.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'inference-7d9c8b6f5-x2k4p', uid: UID }]);
    expect(built.metadata?.annotations).toEqual({
      [QUARANTINE_ANNOTATIONS.podUid]: UID,
      [QUARANTINE_ANNOTATIONS.idempotencyKey]: 'quarantine-on-exfiltration/inc-1/0',
    });
  });

  it('keeps the pod in its workload with detach false, and reports the allow policies that still select it', () => {
    const plan = planQuarantine(input({ detach: false, controller: undefined, services: [] }));

    expect(plan.removedLabels).toEqual([]);
    expect(plan.labels).toMatchObject({ app: 'inference', tier: 'model', [QUARANTINE_LABEL]: 'true' });
    expect(plan.podPatch.metadata.ownerReferences).toBeUndefined();
    expect(plan.podPatch.metadata.annotations[QUARANTINE_ANNOTATIONS.releasedFrom]).toBeUndefined();
    expect(plan.stillAllowedBy).toEqual(['allow-model-tier']);
  });

  it('reports an allow policy with an empty pod selector, which relabelling cannot escape', () => {
    const everyone = kubeObject<V1NetworkPolicy>({ metadata: { name: 'allow-all' }, spec: { podSelector: {}, egress: [{}] } });
    expect(planQuarantine(input({ policies: [everyone] })).stillAllowedBy).toEqual(['allow-all']);
  });

  it('ignores the policies the engine created itself', () => {
    const ours = kubeObject<V1NetworkPolicy>({
      metadata: { name: 'meshwarden-quarantine-x', labels: { 'app.kubernetes.io/managed-by': 'meshwarden' } },
      spec: { podSelector: {}, ingress: [{}] },
    });
    expect(planQuarantine(input({ policies: [ours] })).stillAllowedBy).toEqual([]);
  });

  it('flags a controller whose selector would still select the relabelled pod', () => {
    const negative = { kind: 'ReplicaSet', name: 'odd', selector: { matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] } };
    expect(planQuarantine(input({ controller: negative })).controllerStillSelects).toBe(true);
  });

  it('keeps other owner references when dropping the controller reference', () => {
    const owned = pod();
    owned.metadata?.ownerReferences?.push(kubeObject<V1OwnerReference>({ apiVersion: 'v1', kind: 'ConfigMap', name: 'keeper', uid: 'cm-uid' }));
    const plan = planQuarantine(input({ pod: owned }));
    expect(plan.podPatch.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'keeper', uid: 'cm-uid' }]);
  });
});

describe('quarantinePolicyName', () => {
  it('names the policy after the pod, or after its UID when the name would be too long', () => {
    expect(quarantinePolicyName('web-0', UID)).toBe('meshwarden-quarantine-web-0');
    expect(quarantinePolicyName('a'.repeat(240), UID)).toBe(`meshwarden-quarantine-${UID}`);
  });
});

describe('planRelease', () => {
  it('restores the original labels, keeps labels added meanwhile, and removes every quarantine annotation', () => {
    const quarantined = planQuarantine(input());
    const current = pod({
      labels: { ...quarantined.labels, 'forensics.example/case': '42' },
      annotations: { ...(quarantined.podPatch.metadata.annotations as Record<string, string>), 'kept.example/note': 'x' },
      owner: null,
    });

    const plan = planRelease(current);

    expect(plan?.labels).toEqual({ app: 'inference', 'pod-template-hash': '7d9c8b6f5', tier: 'model', team: 'ml', 'forensics.example/case': '42' });
    expect(plan?.podPatch.metadata.labels).toEqual({
      [QUARANTINE_LABEL]: null, [QUARANTINE_ID_LABEL]: null, app: 'inference', 'pod-template-hash': '7d9c8b6f5', tier: 'model',
    });
    expect(Object.keys(plan?.podPatch.metadata.annotations ?? {}).sort()).toEqual(
      Object.keys(quarantined.podPatch.metadata.annotations).sort(),
    );
    expect(Object.values(plan?.podPatch.metadata.annotations ?? {}).every((value) => value === null)).toBe(true);
    expect(plan?.policyName).toBe('meshwarden-quarantine-inference-7d9c8b6f5-x2k4p');
  });

  it('answers undefined for a pod that is not quarantined', () => {
    expect(planRelease(pod())).toBeUndefined();
  });

  it('refuses to guess when the recorded labels are unreadable', () => {
    expect(() => planRelease(pod({ annotations: { [QUARANTINE_ANNOTATIONS.originalLabels]: '{"app":' } }))).toThrow('is not JSON');
    expect(() => planRelease(pod({ annotations: { [QUARANTINE_ANNOTATIONS.originalLabels]: '{"app":1}' } }))).toThrow('label app is not a string');
  });
});
