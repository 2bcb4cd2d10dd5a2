import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1ObjectMeta } from '@kubernetes/client-node';
import type { ActionTarget } from '../action-definition.js';
import { ROLLOUT } from './argo-rollouts.js';
import { labelSelectorString } from './kube-selectors.js';
import { replicaSetController, type PodController } from './quarantine-plan.js';
import { ownedReplicaSets, selectRollbackRevision } from './rollback-plan.js';

/** The identity and version of the object an action would change, as it is now. */
export interface TargetVersion {
  readonly uid: string;
  readonly resourceVersion: string;
}

/**
 * Reads a Pod, Deployment or Argo Rollout target's UID and resourceVersion, so an approval can be
 * bound to the exact object it was shown for (if it changed or was replaced since, the approval is
 * void). Undefined for other kinds, and for an object that no longer exists. Needs only `get` on
 * pods, deployments and rollouts, which the actions that target them declare.
 */
export async function inspectKubeTarget(kube: KubeConfig, target: ActionTarget): Promise<TargetVersion | undefined> {
  const namespace = target.namespace;
  if (namespace === undefined) return undefined;
  try {
    const object =
      target.kind === 'Pod' ? await kube.makeApiClient(CoreV1Api).readNamespacedPod({ name: target.name, namespace })
      : target.kind === 'Deployment' ? await kube.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: target.name, namespace })
      : target.kind === 'Rollout' ? rolloutMetadata(await kube.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...ROLLOUT, name: target.name, namespace }))
      : undefined;
    const uid = object?.metadata?.uid;
    const resourceVersion = object?.metadata?.resourceVersion;
    return uid !== undefined && resourceVersion !== undefined ? { uid, resourceVersion } : undefined;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** A pod's controller as the policy gate shows it: what a policy needs to keep a workload serving. */
export interface ObservedWorkload {
  readonly kind: string;
  readonly name: string;
  /** The Deployment owning the ReplicaSet, where one does. */
  readonly deployment?: string;
  readonly replicas?: number;
  readonly readyReplicas?: number;
}

/** The revision a Deployment rollback would go back to, as the rollback would pick it. */
export type ObservedRollback =
  | { readonly found: true; readonly revision: number; readonly labels: Readonly<Record<string, string>>; readonly annotations: Readonly<Record<string, string>> }
  | { readonly found: false; readonly message: string };

/** A target as read from the API server just before a step, for the policy gate. */
export interface ObservedTarget {
  readonly exists: boolean;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Pods: ready or not, and the controller that owns them. */
  readonly ready?: boolean;
  readonly workload?: ObservedWorkload;
  /** Deployments: replicas wanted and ready. */
  readonly replicas?: number;
  readonly readyReplicas?: number;
  /** `kubernetes.rollback-deployment`: the revision it would roll back to. */
  readonly rollbackTo?: ObservedRollback;
}

/** Annotations too large or too client-written to show a policy (kubectl's copy of the whole object). */
const HIDDEN_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

/**
 * Reads a Pod or Deployment target for the policy gate: identity, labels, annotations, readiness;
 * for a pod, its ReplicaSet's replica counts (read as the quarantine reads its owner); for a
 * rollback, the revision it would go back to (chosen as the rollback chooses it). Undefined for
 * other kinds; `exists: false` for an object that is not there. Needs `get` on pods and
 * replicasets, `get` on deployments and `list` on replicasets, which the actions declare.
 */
export async function observeKubeTarget(kube: KubeConfig, target: ActionTarget, action: string, params: Readonly<Record<string, unknown>>): Promise<ObservedTarget | undefined> {
  const namespace = target.namespace;
  if (namespace === undefined || (target.kind !== 'Pod' && target.kind !== 'Deployment')) return undefined;
  const apps = kube.makeApiClient(AppsV1Api);
  try {
    if (target.kind === 'Pod') {
      const pod = await kube.makeApiClient(CoreV1Api).readNamespacedPod({ name: target.name, namespace });
      const ref = pod.metadata?.ownerReferences?.find((owner) => owner.controller === true);
      const workload: ObservedWorkload | undefined = ref === undefined ? undefined
        : ref.kind === 'ReplicaSet' ? withoutSelector(replicaSetController(await apps.readNamespacedReplicaSet({ name: ref.name, namespace })))
        : { kind: ref.kind, name: ref.name };
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
      return { ...identity(pod.metadata), ready, ...(workload !== undefined ? { workload } : {}) };
    }
    const deployment = await apps.readNamespacedDeployment({ name: target.name, namespace });
    let rollbackTo: ObservedRollback | undefined;
    if (action === 'kubernetes.rollback-deployment' && deployment.spec?.selector !== undefined) {
      const replicaSets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: labelSelectorString(deployment.spec.selector) });
      const toRevision = typeof params['toRevision'] === 'number' ? params['toRevision'] : 0;
      const choice = selectRollbackRevision(ownedReplicaSets(deployment, replicaSets.items), toRevision, target.name);
      const template = choice.found ? choice.replicaSet.spec?.template?.metadata : undefined;
      rollbackTo = choice.found
        ? { found: true, revision: choice.revision, labels: template?.labels ?? {}, annotations: visible(template?.annotations) }
        : { found: false, message: choice.message };
    }
    return {
      ...identity(deployment.metadata), replicas: deployment.spec?.replicas ?? 1, readyReplicas: deployment.status?.readyReplicas ?? 0,
      ...(rollbackTo !== undefined ? { rollbackTo } : {}),
    };
  } catch (error) {
    if ((error as { code?: number }).code === 404) return { exists: false };
    throw error;
  }
}

function identity(metadata: V1ObjectMeta | undefined): ObservedTarget {
  return {
    exists: true,
    ...(metadata?.uid !== undefined ? { uid: metadata.uid } : {}),
    ...(metadata?.resourceVersion !== undefined ? { resourceVersion: metadata.resourceVersion } : {}),
    labels: metadata?.labels ?? {}, annotations: visible(metadata?.annotations),
  };
}

function visible(annotations: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([key]) => !HIDDEN_ANNOTATIONS.has(key)));
}

function withoutSelector(controller: PodController): ObservedWorkload {
  const { selector: _selector, ...rest } = controller;
  return rest;
}

/** The metadata of a custom object, read by shape (the client answers untyped JSON). */
function rolloutMetadata(object: unknown): { metadata?: { uid?: string; resourceVersion?: string } } {
  const metadata = (object as { metadata?: unknown } | null)?.metadata;
  if (typeof metadata !== 'object' || metadata === null) return {};
  const { uid, resourceVersion } = metadata as Record<string, unknown>;
  return {
    metadata: {
      ...(typeof uid === 'string' ? { uid } : {}),
      ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}),
    },
  };
}
