import { z } from 'zod';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';

/**
 * Rolls a Deployment back the way `kubectl rollout undo` does: the chosen ReplicaSet's pod template
 * replaces the current one; a paused Deployment is refused. Where the target is a KServe
 * InferenceService, its canary traffic is set to 0 instead.
 */
export const rollbackDeployment = defineAction({
  id: 'kubernetes.rollback-deployment',
  provider: 'kubernetes',
  summary: 'Roll a Deployment (or a KServe InferenceService canary) back to the previous or a named revision',
  params: z
    .object({
      namespace: k8sName,
      deployment: k8sName,
      /** 0 = the previous revision, as `kubectl rollout undo` without --to-revision. */
      toRevision: z.number().int().min(0).default(0),
    })
    .strict(),
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list'] },
    { apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], verbs: ['get', 'patch'] },
  ],
  inverse: 'kubernetes.rollback-deployment',
  destructive: true,
  example: { namespace: '{{ entity.namespace }}', deployment: '{{ entity.model }}' },
  target: (p) => ({ kind: 'Deployment', namespace: p.namespace, name: p.deployment }),
  describe: (p) =>
    `roll deployment ${p.namespace}/${p.deployment} back to ${p.toRevision === 0 ? 'its previous revision' : `revision ${p.toRevision}`} ` +
    `(or set canaryTrafficPercent 0 on the InferenceService of that name), recording the revision it leaves`,
});
