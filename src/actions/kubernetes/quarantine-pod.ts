import { z } from 'zod';
import { durationTextSchema } from '../../shared/duration.js';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';

/** The label that marks a pod as quarantined; the deny-all NetworkPolicy selects on it. */
export const QUARANTINE_LABEL = 'meshwarden.io/quarantine';

/**
 * Isolates exactly one pod: labels it, applies a NetworkPolicy denying all its ingress and egress,
 * and detaches it from its Service and ReplicaSet (by moving the selector labels aside) so the
 * workload heals while the pod is kept for forensics.
 */
export const quarantinePod = defineAction({
  id: 'kubernetes.quarantine-pod',
  provider: 'kubernetes',
  summary: 'Isolate one pod with a deny-all NetworkPolicy and detach it from its workload, keeping it for forensics',
  params: z
    .object({
      namespace: k8sName,
      pod: k8sName,
      /** Move the pod out of its ReplicaSet and Services so a replacement starts. */
      detach: z.boolean().default(true),
      /** Release automatically after this long; unset keeps the quarantine until released. */
      expireAfter: durationTextSchema.optional(),
    })
    .strict(),
  rbac: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'create', 'patch'] },
  ],
  inverse: 'kubernetes.release-pod',
  destructive: true,
  example: { namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}', expireAfter: '24h' },
  target: (p) => ({ kind: 'Pod', namespace: p.namespace, name: p.pod }),
  describe: (p) =>
    `label pod ${p.namespace}/${p.pod} ${QUARANTINE_LABEL}=true and apply a NetworkPolicy denying all its ingress and egress` +
    (p.detach ? '; move its selector labels aside so its ReplicaSet and Services let go of it and a replacement starts' : '') +
    (p.expireAfter !== undefined ? `; release it after ${p.expireAfter}` : ''),
});
