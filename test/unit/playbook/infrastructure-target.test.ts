import { describe, expect, it } from 'vitest';
import { DEFAULT_INFRASTRUCTURE, infrastructureReason, isGatewayEntity } from '../../../src/playbook/infrastructure-target.js';

describe('infrastructureReason', () => {
  it('treats the mesh control plane namespace as infrastructure', () => {
    expect(infrastructureReason({ kind: 'Pod', namespace: 'istio-system', name: 'istiod-5f4d-abcde' }, undefined, DEFAULT_INFRASTRUCTURE)).toBe('namespace istio-system is the mesh control plane');
  });

  it('recognises a gateway by the anomaly entity when the target is that entity', () => {
    const entity = { key: 'pod:edge/public-istio-6b8f-qwert', kind: 'pod' as const, namespace: 'edge', name: 'public-istio-6b8f-qwert', pod: 'public-istio-6b8f-qwert', workload: 'public-istio', labels: { 'gateway.networking.k8s.io/gateway-name': 'public' } };
    expect(isGatewayEntity(entity)).toBe(true);
    expect(infrastructureReason({ kind: 'Pod', namespace: 'edge', name: 'public-istio-6b8f-qwert' }, entity, DEFAULT_INFRASTRUCTURE)).toMatch(/is a gateway/);
    expect(infrastructureReason({ kind: 'Deployment', namespace: 'edge', name: 'public-istio' }, entity, DEFAULT_INFRASTRUCTURE)).toMatch(/is a gateway/);
    // A different target named by the playbook is judged on its own.
    expect(infrastructureReason({ kind: 'Deployment', namespace: 'ml-prod', name: 'frontend' }, entity, DEFAULT_INFRASTRUCTURE)).toBeUndefined();
  });

  it('recognises the engine by the label the chart gives its pods, whatever the release is called', () => {
    const entity = { key: 'pod:security/mw-meshwarden-7d9c8b6f4-abcde', kind: 'pod' as const, namespace: 'security', name: 'mw-meshwarden-7d9c8b6f4-abcde', pod: 'mw-meshwarden-7d9c8b6f4-abcde', labels: { 'app.kubernetes.io/name': 'meshwarden' } };
    expect(infrastructureReason({ kind: 'Pod', namespace: 'security', name: 'mw-meshwarden-7d9c8b6f4-abcde' }, entity, DEFAULT_INFRASTRUCTURE)).toBe('pod:security/mw-meshwarden-7d9c8b6f4-abcde is the engine itself');
  });

  it('recognises gateways and the engine by workload name wherever they run', () => {
    expect(infrastructureReason({ kind: 'Pod', namespace: 'edge', name: 'istio-ingressgateway-7f6d5c4b3-fghij' }, undefined, DEFAULT_INFRASTRUCTURE)).toMatch(/istio-ingressgateway is infrastructure/);
    expect(infrastructureReason({ kind: 'Deployment', namespace: 'edge', name: 'corp-egress-gateway' }, undefined, DEFAULT_INFRASTRUCTURE)).toBe('corp-egress-gateway is a gateway');
    expect(infrastructureReason({ kind: 'Pod', namespace: 'security', name: 'meshwarden-7d9c8b6f4-abcde' }, undefined, DEFAULT_INFRASTRUCTURE)).toMatch(/meshwarden is infrastructure/);
    expect(infrastructureReason({ kind: 'Pod', namespace: 'ml-prod', name: 'inference-7d9c8b6f4-abcde' }, undefined, DEFAULT_INFRASTRUCTURE)).toBeUndefined();
  });
});
