/** A Deployment's rollout in the test cluster: waiting for it, and what stands in its way when it stalls. */
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { labelSelectorString } from '../../src/actions/kubernetes/kube-selectors.js';
import { waitFor } from './wait-for.js';

/** The annotation a Deployment and its ReplicaSets carry their revision number in. */
export const REVISION = 'deployment.kubernetes.io/revision';

/** Whether the pod's Ready condition is True. */
function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** The Deployment's selector as list calls take it. */
function deploymentSelector(deployment: V1Deployment): string {
  return deployment.spec === undefined ? '' : labelSelectorString(deployment.spec.selector);
}

/**
 * Waits until the Deployment's rollout is complete: every replica updated, available and no extra,
 * as its status says for the current generation (right after a patch the status still describes
 * the previous one, which already looks finished). A timeout says what stands in the way.
 */
export async function waitForRollout(kube: KubeConfig, namespace: string, name: string, timeoutMs = 90_000): Promise<void> {
  const apps = kube.makeApiClient(AppsV1Api);
  await waitFor(`deployment ${namespace}/${name} to finish rolling out`, timeoutMs, async () => {
    const deployment = await apps.readNamespacedDeployment({ name, namespace });
    const want = deployment.spec?.replicas ?? 1;
    const status = deployment.status;
    return status?.observedGeneration === deployment.metadata?.generation &&
      (status?.updatedReplicas ?? 0) === want &&
      (status?.availableReplicas ?? 0) === want &&
      (status?.replicas ?? 0) === want;
  }).catch(async (error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}: ${await rolloutDiagnosis(kube, namespace, name)}`);
  });
}

/**
 * What stands in a Deployment's way, for the message of a rollout that timed out: its status, its
 * ReplicaSets' counts, its pods that are not Running and Ready with their conditions, and the
 * nodes' readiness and taints. A rollout that stalls on a loaded machine is then diagnosable from
 * the test log alone.
 */
export async function rolloutDiagnosis(kube: KubeConfig, namespace: string, name: string): Promise<string> {
  try {
    const apps = kube.makeApiClient(AppsV1Api);
    const core = kube.makeApiClient(CoreV1Api);
    const deployment = await apps.readNamespacedDeployment({ name, namespace });
    const selector = deploymentSelector(deployment);
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
    const stuck = pods.filter((p) => p.status?.phase !== 'Running' || !podReady(p)).map((p) =>
      `${p.metadata?.name ?? '?'} ${p.status?.phase ?? '?'} node=${p.spec?.nodeName ?? '-'} ${(p.status?.conditions ?? []).filter((c) => c.status !== 'True').map((c) => `${c.type}:${c.reason ?? ''} ${c.message ?? ''}`).join('; ')}`);
    const nodes = (await core.listNode()).items.map((n) =>
      `${n.metadata?.name ?? '?'} ready=${n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '?'} taints=${JSON.stringify(n.spec?.taints ?? [])}`);
    const sets = (await apps.listNamespacedReplicaSet({ namespace, labelSelector: selector })).items.map((rs) =>
      `${rs.metadata?.name ?? '?'} revision=${rs.metadata?.annotations?.[REVISION] ?? '?'} replicas=${rs.status?.replicas ?? 0} ready=${rs.status?.readyReplicas ?? 0} available=${rs.status?.availableReplicas ?? 0}`);
    return `deployment generation ${deployment.metadata?.generation ?? '?'}, status ${JSON.stringify(deployment.status ?? {})}; ` +
      `replica sets: [${sets.join(' | ')}]; ${pods.length} pod(s), not running and ready: [${stuck.join(' | ')}]; nodes: [${nodes.join(' | ')}]`;
  } catch (error) {
    return `(no diagnosis: ${error instanceof Error ? error.message : String(error)})`;
  }
}
