import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { ActionError } from '../../shared/errors.js';
import type { Rollout } from './argo-rollouts.js';
import { INFERENCE_SERVICE, inferenceServiceSchema, supportsCanaryRollback, type InferenceService } from './inference-service.js';
import type { KubeClients } from './kube-clients.js';
import { labelSelectorString } from './kube-selectors.js';
import { readRollout } from './undo-rollout.js';

/** What a model rollback acts on, as found in the cluster. */
export type RollbackTarget =
  | { readonly kind: 'Rollout'; readonly rollout: Rollout; readonly why: string }
  | { readonly kind: 'InferenceService'; readonly isvc: InferenceService }
  | { readonly kind: 'Deployment'; readonly deployment: V1Deployment; readonly replicaSets: readonly V1ReplicaSet[] };

/**
 * Resolves the workload a rollback of `name` must act on, from what the cluster holds rather than
 * from names a playbook hard-codes:
 *
 * 1. an Argo Rollout of that name, or a Rollout that owns the pods of the Deployment of that name
 *    (a Rollout with a `workloadRef` to it, or one whose ReplicaSets with running replicas match
 *    the Deployment's selector): rolling the scaled-down Deployment back would change nothing;
 * 2. a KServe InferenceService of that name in serverless mode (canary traffic back to 0);
 * 3. the Deployment of that name.
 *
 * Every read tolerates an API the cluster does not serve (no Argo or KServe CRD: 404).
 */
export async function resolveRollbackTarget(kube: KubeClients, namespace: string, name: string): Promise<RollbackTarget> {
  const named = await readRollout(kube, namespace, name);
  if (named !== undefined) return { kind: 'Rollout', rollout: named, why: `rollout ${namespace}/${name}` };

  const deployment = await kube.callOrAbsent(`read deployment ${namespace}/${name}`, () =>
    kube.apps.readNamespacedDeployment({ name, namespace }, kube.options()),
  );
  let replicaSets: readonly V1ReplicaSet[] = [];
  const selector = deployment?.spec?.selector;
  if (selector !== undefined) {
    const listed = await kube.call(`list replica sets of deployment ${namespace}/${name}`, () =>
      kube.apps.listNamespacedReplicaSet({ namespace, labelSelector: labelSelectorString(selector) }, kube.options()),
    );
    replicaSets = listed.items;
    const owner = rolloutOwningPods(replicaSets);
    if (owner !== undefined) {
      const rollout = await readRollout(kube, namespace, owner);
      if (rollout !== undefined) {
        return { kind: 'Rollout', rollout, why: `rollout ${namespace}/${owner}, which owns the pods of deployment ${namespace}/${name}` };
      }
    }
  }

  const raw: unknown = await kube.callOrAbsent(`read inference service ${namespace}/${name}`, () =>
    kube.custom.getNamespacedCustomObject({ ...INFERENCE_SERVICE, namespace, name }, kube.options()),
  );
  if (raw !== undefined) {
    const isvc = inferenceServiceSchema.safeParse(raw);
    if (!isvc.success) {
      throw new ActionError('client', `inference service ${namespace}/${name} does not have the expected shape: ${isvc.error.message}`);
    }
    if (supportsCanaryRollback(isvc.data)) return { kind: 'InferenceService', isvc: isvc.data };
  }
  if (deployment === undefined) {
    throw new ActionError('client', `nothing to roll back in ${namespace} for "${name}": no Argo Rollout, Deployment or serverless InferenceService of that name`);
  }
  return { kind: 'Deployment', deployment, replicaSets };
}

/**
 * The Rollout controlling a ReplicaSet that runs pods: the Deployment's selector matches the pods
 * of a Rollout that took the workload over (`workloadRef`, or a migration with the same labels).
 */
function rolloutOwningPods(replicaSets: readonly V1ReplicaSet[]): string | undefined {
  for (const rs of replicaSets) {
    if ((rs.status?.replicas ?? rs.spec?.replicas ?? 0) <= 0) continue;
    const owner = rs.metadata?.ownerReferences?.find((ref) => ref.controller === true);
    if (owner?.kind === 'Rollout' && owner.apiVersion.startsWith('argoproj.io/')) return owner.name;
  }
  return undefined;
}
