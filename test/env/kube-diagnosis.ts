import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { deploymentSelector, podReady, REVISION } from './rollout-state.js';

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
