import { z } from 'zod';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';

/** Rolling restart, the way `kubectl rollout restart` does it (a restartedAt pod-template annotation). */
export const restartDeployment = defineAction({
  id: 'kubernetes.restart-deployment',
  provider: 'kubernetes',
  summary: 'Rolling restart of a Deployment, e.g. so its pods read a rotated credential',
  params: z.object({ namespace: k8sName, deployment: k8sName }).strict(),
  rbac: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] }],
  destructive: false,
  example: { namespace: 'ml-prod', deployment: 'inference' },
  target: (p) => ({ kind: 'Deployment', namespace: p.namespace, name: p.deployment }),
  describe: (p) => `restart deployment ${p.namespace}/${p.deployment} (set kubectl.kubernetes.io/restartedAt on its pod template)`,
});
