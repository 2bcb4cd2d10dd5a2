/**
 * What a feature window, an anomaly and an action are about. The key is stable and readable:
 * `workload:ml-prod/inference`, `pod:ml-prod/inference-7d9c-x2k4p`, `principal:203.0.113.7`,
 * `model:ml-prod/fraud-detector@v3`, `route:ml-prod/inference:POST:/v1/score/{n}` (one route of a
 * workload, see route-table.ts), `authority:ml-prod/inference->api.example.com` (an external host
 * a workload calls).
 */
export type EntityKind = 'workload' | 'pod' | 'principal' | 'model' | 'route' | 'authority';

export const ENTITY_KINDS: readonly EntityKind[] = ['workload', 'pod', 'principal', 'model', 'route', 'authority'];

/** An entity with the attributes playbooks match on and actions target. */
export interface Entity {
  readonly key: string;
  readonly kind: EntityKind;
  readonly namespace?: string;
  /** Workload (app label), pod, principal or model name; a route's `METHOD /template`; an authority's host. */
  readonly name: string;
  readonly workload?: string;
  readonly pod?: string;
  readonly model?: string;
  readonly version?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** How a principal's name was established: a peer address Envoy saw, a verified mesh identity, or neither (client-influenced). */
  readonly identity?: 'ip' | 'mesh' | 'unresolved';
  /** Set on the pods and workloads that are the mesh's front door (ingress/egress gateways). */
  readonly role?: 'gateway';
}

/** Workload name from a pod's labels, or its name without the ReplicaSet/pod hash suffixes. */
export function workloadName(pod: string | undefined, labels: Readonly<Record<string, string>> | undefined): string | undefined {
  const fromLabel = labels?.app ?? labels?.['app.kubernetes.io/name'] ?? labels?.['service.istio.io/canonical-name'];
  if (fromLabel !== undefined) return fromLabel;
  if (pod === undefined) return undefined;
  // Deployment pods are <deployment>-<rs hash>-<pod hash>; StatefulSet pods <name>-<ordinal>.
  const deployment = /^(.*)-[a-z0-9]{5,10}-[a-z0-9]{5}$/.exec(pod);
  if (deployment?.[1] !== undefined) return deployment[1];
  const ordinal = /^(.*)-\d+$/.exec(pod);
  return ordinal?.[1] ?? pod;
}
