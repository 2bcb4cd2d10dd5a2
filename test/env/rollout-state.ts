import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { labelSelectorString } from '../../src/actions/kubernetes/kube-selectors.js';

/** The annotation a Deployment and its ReplicaSets carry their revision number in. */
export const REVISION = 'deployment.kubernetes.io/revision';

/** Whether the pod's Ready condition is True. */
export function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** The Deployment's selector as list calls take it. */
export function deploymentSelector(deployment: V1Deployment): string {
  return deployment.spec === undefined ? '' : labelSelectorString(deployment.spec.selector);
}

/**
 * Whether a Deployment's newest revision is what runs, read from its pods: the controller has seen
 * the current spec (observedGeneration), and exactly `spec.replicas` pods match its selector, every
 * one Running, Ready, not terminating and of the ReplicaSet of the Deployment's current revision.
 *
 * The Deployment's own status says the same once the controllers have caught up with the pods;
 * this reads the pods directly, so a status that lags them does not hold a test's setup up. Pods
 * that are Running but not Ready are listed by `rolloutDiagnosis` when a rollout times out.
 */
export async function podsShowRollout(kube: KubeConfig, namespace: string, deployment: V1Deployment): Promise<boolean> {
  const want = deployment.spec?.replicas ?? 1;
  if (deployment.status?.observedGeneration !== deployment.metadata?.generation) return false;
  const revision = deployment.metadata?.annotations?.[REVISION];
  const uid = deployment.metadata?.uid;
  if (revision === undefined || uid === undefined) return false;
  const selector = deploymentSelector(deployment);
  const sets = (await kube.makeApiClient(AppsV1Api).listNamespacedReplicaSet({ namespace, labelSelector: selector })).items;
  const current = sets.find((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === uid) === true && rs.metadata.annotations?.[REVISION] === revision);
  const hash = current?.metadata?.labels?.['pod-template-hash'];
  if (hash === undefined) return false;
  const pods = (await kube.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: selector })).items;
  return pods.length === want && pods.every((pod) =>
    pod.metadata?.deletionTimestamp === undefined &&
    pod.metadata?.labels?.['pod-template-hash'] === hash &&
    pod.status?.phase === 'Running' &&
    podReady(pod));
}
