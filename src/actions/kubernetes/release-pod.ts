import { z } from 'zod';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';
import { QUARANTINE_LABEL } from './quarantine-pod.js';

/** Undoes a quarantine: restores the pod's original labels and removes its deny-all NetworkPolicy. */
export const releasePod = defineAction({
  id: 'kubernetes.release-pod',
  provider: 'kubernetes',
  summary: 'Release a quarantined pod: restore its labels and remove its deny-all NetworkPolicy',
  params: z.object({ namespace: k8sName, pod: k8sName }).strict(),
  rbac: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'delete'] },
  ],
  inverse: 'kubernetes.quarantine-pod',
  destructive: false,
  example: { namespace: 'ml-prod', pod: 'inference-7d9c8b6f5-x2k4p' },
  target: (p) => ({ kind: 'Pod', namespace: p.namespace, name: p.pod }),
  describe: (p) => `restore the original labels of pod ${p.namespace}/${p.pod}, remove ${QUARANTINE_LABEL} and its deny-all NetworkPolicy`,
});
