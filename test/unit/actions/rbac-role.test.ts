import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/actions/action-registry.js';
import { kubernetesRole, rbacRulesFor } from '../../../src/actions/rbac-role.js';

describe('rbacRulesFor', () => {
  it('merges verbs per resource and groups resources with the same verbs', () => {
    expect(
      rbacRulesFor([
        { rbac: [{ apiGroups: [''], resources: ['pods'], verbs: ['patch', 'get'] }] },
        { rbac: [{ apiGroups: [''], resources: ['pods', 'services'], verbs: ['get'] }] },
        { rbac: [{ apiGroups: [''], resources: ['services'], verbs: ['patch'] }] },
        { rbac: [] },
      ]),
    ).toEqual([{ apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'patch'] }]);
  });

  it('grants the whole registry exactly what its actions declare', () => {
    expect(rbacRulesFor(ACTIONS)).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['services'], verbs: ['list'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list'] },
      { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get', 'patch'] },
      { apiGroups: ['argoproj.io'], resources: ['rollouts/status'], verbs: ['patch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'create', 'delete'] },
      { apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], verbs: ['get', 'patch'] },
    ]);
  });
});

describe('kubernetesRole', () => {
  it('builds a namespaced Role or a ClusterRole around the same rules', () => {
    const role = kubernetesRole(ACTIONS, { kind: 'Role', name: 'meshwarden', namespace: 'ml-prod' });
    const clusterRole = kubernetesRole(ACTIONS, { kind: 'ClusterRole', name: 'meshwarden' });
    expect(role.metadata).toEqual({ name: 'meshwarden', namespace: 'ml-prod', labels: { 'app.kubernetes.io/managed-by': 'meshwarden' } });
    expect(clusterRole.kind).toBe('ClusterRole');
    expect(clusterRole.metadata).not.toHaveProperty('namespace');
    expect(clusterRole.rules).toEqual(role.rules);
    expect(role.apiVersion).toBe('rbac.authorization.k8s.io/v1');
  });
});
