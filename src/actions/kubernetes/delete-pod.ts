import { z } from 'zod';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';

/** Deletes one pod; its controller replaces it. Evidence in the pod is lost: prefer quarantine. */
export const deletePod = defineAction({
  id: 'kubernetes.delete-pod',
  provider: 'kubernetes',
  summary: 'Delete one pod so its controller replaces it',
  params: z
    .object({ namespace: k8sName, pod: k8sName, gracePeriodSeconds: z.number().int().min(0).max(3600).default(30) })
    .strict(),
  rbac: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] }],
  destructive: true,
  example: { namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}' },
  target: (p) => ({ kind: 'Pod', namespace: p.namespace, name: p.pod }),
  describe: (p) => `delete pod ${p.namespace}/${p.pod} with a ${p.gracePeriodSeconds}s grace period; its controller starts a replacement`,
});
