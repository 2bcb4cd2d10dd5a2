import { z } from 'zod';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';

/** Sets a Deployment's replica count (for example to 0 to stop a compromised model server). */
export const scale = defineAction({
  id: 'kubernetes.scale',
  provider: 'kubernetes',
  summary: 'Set the replica count of a Deployment',
  params: z.object({ namespace: k8sName, deployment: k8sName, replicas: z.number().int().min(0).max(1000) }).strict(),
  rbac: [{ apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: ['get', 'patch'] }],
  inverse: 'kubernetes.scale',
  destructive: true,
  example: { namespace: 'ml-prod', deployment: '{{ entity.workload }}', replicas: 0 },
  target: (p) => ({ kind: 'Deployment', namespace: p.namespace, name: p.deployment }),
  describe: (p) => `scale deployment ${p.namespace}/${p.deployment} to ${p.replicas} replica(s), recording the current count so it can be restored`,
});
