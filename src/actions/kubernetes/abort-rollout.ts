import { z } from 'zod';
import { ActionError } from '../../shared/errors.js';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';
import { abortRolloutPatch, ROLLOUT } from './argo-rollouts.js';
import { kubeClients, PATCH } from './kube-clients.js';
import { readRollout } from './undo-rollout.js';

const ID = 'kubernetes.abort-rollout';

const params = z.object({ namespace: k8sName, rollout: k8sName }).strict();
type Params = z.output<typeof params>;

/**
 * Aborts an Argo Rollout in progress the way `kubectl argo rollouts abort` does
 * (`pkg/kubectl-argo-rollouts/cmd/abort/abort.go`): a merge patch `{"status":{"abort":true}}`,
 * through the status subresource first and, where the CRD declares none (the CRD Argo Rollouts
 * ships has only `scale`), through the Rollout itself. The controller then scales the stable
 * ReplicaSet back up and the canary down; `spec.template` still holds the new version, which
 * `kubernetes.undo-rollout` reverts. The write carries the UID and resourceVersion read, so it
 * never lands on a Rollout replaced or changed since; one already aborted is `already-done`.
 */
export const abortRollout = defineAction({
  id: ID,
  provider: 'kubernetes',
  summary: 'Abort an Argo Rollout in progress so that all traffic returns to its stable version',
  params,
  rbac: [
    { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get', 'patch'] },
    { apiGroups: ['argoproj.io'], resources: ['rollouts/status'], verbs: ['patch'] },
  ],
  destructive: true,
  example: { namespace: '{{ entity.namespace }}', rollout: '{{ entity.workload }}' },
  target: (p) => ({ kind: 'Rollout', namespace: p.namespace, name: p.rollout }),
  describe: (p) =>
    `abort Argo Rollout ${p.namespace}/${p.rollout} (set status.abort, as kubectl argo rollouts abort does): ` +
    'the stable ReplicaSet takes all traffic back and the canary scales down',
  execute: abort,
});

async function abort(p: Params, ctx: ActionContext): Promise<ActionResult> {
  const kube = await kubeClients(ctx, ID);
  const name = `${p.namespace}/${p.rollout}`;
  const rollout = await readRollout(kube, p.namespace, p.rollout);
  if (rollout === undefined) throw new ActionError('client', `rollout ${name} does not exist`);
  const uid = rollout.metadata.uid;
  if (rollout.status?.abort === true) {
    return {
      outcome: 'already-done',
      summary: `rollout ${name} is already aborted${rollout.status.abortedAt === undefined ? '' : ` (since ${rollout.status.abortedAt})`}`,
      details: { uid, abort: true },
    };
  }
  const body = abortRolloutPatch(rollout);
  const viaStatus: unknown = await kube.callOrAbsent(`patch the status of rollout ${name}`, () =>
    kube.custom.patchNamespacedCustomObjectStatus({ ...ROLLOUT, namespace: p.namespace, name: p.rollout, body }, kube.options(PATCH.merge)),
  );
  // 404 on the subresource: the CRD has no status subresource (the Rollout itself was just read).
  if (viaStatus === undefined) {
    await kube.call(`patch rollout ${name}`, () =>
      kube.custom.patchNamespacedCustomObject({ ...ROLLOUT, namespace: p.namespace, name: p.rollout, body }, kube.options(PATCH.merge)),
    );
  }
  return {
    outcome: 'succeeded',
    summary: `aborted rollout ${name}: the stable ReplicaSet takes all traffic back; spec.template still holds the new version until it is undone`,
    details: { uid, abort: true, via: viaStatus === undefined ? 'rollout' : 'status subresource' },
  };
}
