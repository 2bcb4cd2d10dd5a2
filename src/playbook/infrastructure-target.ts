import type { ActionTarget } from '../actions/action-definition.js';
import { workloadName, type Entity } from '../features/entity.js';

/** What the engine treats as infrastructure: never a templated target of a step that changes something. */
export interface InfrastructurePolicy {
  /** The mesh control plane: every target in these namespaces is infrastructure. */
  readonly namespaces: readonly string[];
  /** Workloads that are infrastructure wherever they run: gateways and the engine itself. */
  readonly workloads: readonly string[];
}

/** Istio's control plane, its stock gateways and the engine's own Deployment. */
export const DEFAULT_INFRASTRUCTURE: InfrastructurePolicy = {
  namespaces: ['istio-system'],
  workloads: ['istio-ingressgateway', 'istio-egressgateway', 'meshwarden'],
};

/**
 * Says why `target` is infrastructure, or undefined when it is not. A gateway carries every
 * client's traffic, so an anomaly on it is usually what its callers did: a client that uploads
 * enough through the front door must not get the front door quarantined. The anomaly's entity
 * tells whether it is a gateway (its `role`, or the labels Istio and the Gateway API put on gateway
 * pods); names are the fallback for targets the entity does not describe.
 */
export function infrastructureReason(target: ActionTarget, entity: Entity | undefined, policy: InfrastructurePolicy): string | undefined {
  if (target.namespace !== undefined && policy.namespaces.includes(target.namespace)) {
    return `namespace ${target.namespace} is the mesh control plane`;
  }
  if (entity !== undefined && isGatewayEntity(entity) && refersTo(target, entity)) {
    return `${entity.key} is a gateway: its anomalies are its callers' traffic`;
  }
  // The chart labels the engine's pods with its name, whatever the release is called.
  if (entity?.labels?.['app.kubernetes.io/name'] === 'meshwarden' && refersTo(target, entity)) {
    return `${entity.key} is the engine itself`;
  }
  const workload = target.kind === 'Pod' ? workloadName(target.name, undefined) : target.name;
  if (target.kind === 'Pod' || target.kind === 'Deployment') {
    if (workload !== undefined && policy.workloads.includes(workload)) return `${workload} is infrastructure (a gateway or the engine itself)`;
    if (workload !== undefined && /(ingress|egress)-?gateway$/.test(workload)) return `${workload} is a gateway`;
  }
  return undefined;
}

/** True for gateway pods and workloads, by the role the resolver set or by their labels. */
export function isGatewayEntity(entity: Entity): boolean {
  if (entity.role === 'gateway') return true;
  const labels = entity.labels;
  if (labels === undefined) return false;
  return labels.istio === 'ingressgateway' || labels.istio === 'egressgateway' || labels['gateway.networking.k8s.io/gateway-name'] !== undefined;
}

function refersTo(target: ActionTarget, entity: Entity): boolean {
  if (target.namespace !== undefined && entity.namespace !== undefined && target.namespace !== entity.namespace) return false;
  return [entity.name, entity.pod, entity.workload].includes(target.name);
}
