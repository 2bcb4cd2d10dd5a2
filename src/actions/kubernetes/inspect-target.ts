import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ActionTarget } from '../action-definition.js';

/** The identity and version of the object an action would change, as it is now. */
export interface TargetVersion {
  readonly uid: string;
  readonly resourceVersion: string;
}

/**
 * Reads a Pod or Deployment target's UID and resourceVersion, so an approval can be bound to the
 * exact object it was shown for (if it changed or was replaced since, the approval is void).
 * Undefined for other kinds, and for an object that no longer exists. Needs only `get` on pods and
 * deployments, which the actions that target them declare.
 */
export async function inspectKubeTarget(kube: KubeConfig, target: ActionTarget): Promise<TargetVersion | undefined> {
  const namespace = target.namespace;
  if (namespace === undefined) return undefined;
  try {
    const object =
      target.kind === 'Pod' ? await kube.makeApiClient(CoreV1Api).readNamespacedPod({ name: target.name, namespace })
      : target.kind === 'Deployment' ? await kube.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: target.name, namespace })
      : undefined;
    const uid = object?.metadata?.uid;
    const resourceVersion = object?.metadata?.resourceVersion;
    return uid !== undefined && resourceVersion !== undefined ? { uid, resourceVersion } : undefined;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}
