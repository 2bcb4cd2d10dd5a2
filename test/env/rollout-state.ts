import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
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
