import type { V1LabelSelector, V1NetworkPolicy, V1OwnerReference, V1Pod, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import { kubeObject } from './kube-object.js';
import { labelSelectorKeys, labelSelectorMatches, serviceSelectorMatches, type Labels } from './kube-selectors.js';

/** The label that marks a pod as quarantined; the deny-all NetworkPolicy selects on it. */
export const QUARANTINE_LABEL = 'meshwarden.io/quarantine';

/**
 * The per-pod label the NetworkPolicy also selects on, valued with the pod's UID: a pod name can be
 * reused (StatefulSets, recreated pods) and may exceed the 63 characters a label value allows.
 */
export const QUARANTINE_ID_LABEL = 'meshwarden.io/quarantine-id';

/** Marks the NetworkPolicies the engine creates, so they are never mistaken for a workload's own. */
export const MANAGED_BY = { label: 'app.kubernetes.io/managed-by', value: 'meshwarden' } as const;

/** Annotations a quarantine records on the pod (and, for the UID, on its NetworkPolicy). */
export const QUARANTINE_ANNOTATIONS = {
  /** JSON object of the labels the pod had before: what release restores. */
  originalLabels: 'meshwarden.io/quarantine-original-labels',
  idempotencyKey: 'meshwarden.io/quarantine-idempotency-key',
  quarantinedAt: 'meshwarden.io/quarantined-at',
  /** When the quarantine should be released; the engine's sweeper reads it. */
  expiresAt: 'meshwarden.io/quarantine-expires-at',
  /** `<kind>/<name>` of the controller the pod was taken out of, for the forensic record. */
  releasedFrom: 'meshwarden.io/quarantine-released-from',
  policy: 'meshwarden.io/quarantine-policy',
  /** On the NetworkPolicy: the UID of the pod it isolates. */
  podUid: 'meshwarden.io/quarantine-pod-uid',
} as const;

const MAX_NAME = 253;

/** The NetworkPolicy of a quarantined pod: named after the pod, or after its UID when that is too long. */
export function quarantinePolicyName(podName: string, podUid: string): string {
  const byName = `meshwarden-quarantine-${podName}`;
  return byName.length <= MAX_NAME ? byName : `meshwarden-quarantine-${podUid}`;
}

/** The pod's controller as the planner needs it: its selector decides which labels must go. */
export interface PodController {
  readonly kind: string;
  readonly name: string;
  readonly selector: V1LabelSelector | undefined;
  /** Pods the controller wants, and those of them ready now (the policy gate shows them to the policy). */
  readonly replicas?: number;
  readonly readyReplicas?: number;
  /** The Deployment that owns the ReplicaSet, where one does. */
  readonly deployment?: string;
}

/** A pod's ReplicaSet as a {@link PodController}: its selector, its replica counts and its Deployment. */
export function replicaSetController(replicaSet: V1ReplicaSet): PodController {
  const deployment = replicaSet.metadata?.ownerReferences?.find((owner) => owner.controller === true && owner.kind === 'Deployment')?.name;
  return {
    kind: 'ReplicaSet', name: replicaSet.metadata?.name ?? '', selector: replicaSet.spec?.selector,
    replicas: replicaSet.spec?.replicas ?? 1, readyReplicas: replicaSet.status?.readyReplicas ?? 0,
    ...(deployment !== undefined ? { deployment } : {}),
  };
}

/** What {@link planQuarantine} decides from. */
export interface QuarantineInput {
  readonly pod: V1Pod;
  /** The controller the pod is detached from (its ReplicaSet); absent for a bare pod or without detach. */
  readonly controller: PodController | undefined;
  /** Services of the namespace; those selecting the pod lose it. */
  readonly services: readonly V1Service[];
  /** NetworkPolicies of the namespace; allow rules that select the pod would undo the deny-all. */
  readonly policies: readonly V1NetworkPolicy[];
  readonly detach: boolean;
  readonly idempotencyKey: string;
  /** Epoch ms. */
  readonly now: number;
  readonly expireAfterMs: number | undefined;
}

/** A merge patch of a pod's metadata; `null` deletes a key. */
export interface PodMetadataPatch {
  readonly metadata: {
    /** Optimistic concurrency: the API server answers 409 if the pod changed since it was read. */
    readonly resourceVersion: string;
    readonly labels: Readonly<Record<string, string | null>>;
    readonly annotations: Readonly<Record<string, string | null>>;
    /** Merge patches replace lists whole; `null` removes the field. Absent: left as is. */
    readonly ownerReferences?: readonly V1OwnerReference[] | null;
  };
}

/** Everything a quarantine changes, computed before anything is changed. */
export interface QuarantinePlan {
  readonly policyName: string;
  readonly policy: V1NetworkPolicy;
  readonly podPatch: PodMetadataPatch;
  /** The pod's labels once patched. */
  readonly labels: Labels;
  /** Label keys moved aside (recorded in the original-labels annotation), sorted. */
  readonly removedLabels: readonly string[];
  /** `<Kind>/<name>` of every controller, Service and allow policy the pod no longer belongs to. */
  readonly detachedFrom: readonly string[];
  /**
   * Allow policies that still select the pod after relabelling (an empty `podSelector`, or a
   * negative requirement): NetworkPolicies are additive, so traffic they allow still flows.
   */
  readonly stillAllowedBy: readonly string[];
  /** True when the controller's selector would still select the relabelled pod: refuse. */
  readonly controllerStillSelects: boolean;
  readonly expiresAt: string | undefined;
}

/**
 * Plans the quarantine of exactly one pod: the deny-all NetworkPolicy selecting it by UID, and the
 * one metadata patch that labels it, moves aside the labels its controller, Services and allow
 * policies select on (recording the originals), and drops its controller reference so the
 * controller neither counts nor deletes it.
 */
export function planQuarantine(input: QuarantineInput): QuarantinePlan {
  const { pod } = input;
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  const uid = pod.metadata?.uid ?? '';
  const resourceVersion = pod.metadata?.resourceVersion ?? '';
  const original: Labels = pod.metadata?.labels ?? {};
  const policyName = quarantinePolicyName(name, uid);
  const allowPolicies = input.policies.filter((policy) => isAllowPolicy(policy) && labelSelectorMatches(policy.spec?.podSelector, original));

  const removed = new Set<string>();
  const detachedFrom: string[] = [];
  if (input.detach) {
    if (input.controller !== undefined) {
      for (const key of labelSelectorKeys(input.controller.selector)) removed.add(key);
      detachedFrom.push(`${input.controller.kind}/${input.controller.name}`);
    }
    for (const service of input.services) {
      if (!serviceSelectorMatches(service.spec?.selector, original)) continue;
      for (const key of Object.keys(service.spec?.selector ?? {})) removed.add(key);
      detachedFrom.push(`Service/${service.metadata?.name ?? ''}`);
    }
    for (const policy of allowPolicies) {
      const keys = labelSelectorKeys(policy.spec?.podSelector);
      for (const key of keys) removed.add(key);
      if (keys.length > 0) detachedFrom.push(`NetworkPolicy/${policy.metadata?.name ?? ''}`);
    }
  }
  // Our own labels are set below, never "moved aside".
  removed.delete(QUARANTINE_LABEL);
  removed.delete(QUARANTINE_ID_LABEL);
  const removedLabels = [...removed].filter((key) => key in original).sort();

  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(original)) if (!removed.has(key)) labels[key] = value;
  labels[QUARANTINE_LABEL] = 'true';
  labels[QUARANTINE_ID_LABEL] = uid;

  const labelPatch: Record<string, string | null> = {};
  for (const key of removedLabels) labelPatch[key] = null;
  labelPatch[QUARANTINE_LABEL] = 'true';
  labelPatch[QUARANTINE_ID_LABEL] = uid;

  const expiresAt = input.expireAfterMs === undefined ? undefined : new Date(input.now + input.expireAfterMs).toISOString();
  const owners = pod.metadata?.ownerReferences ?? [];
  const controllerRef = owners.find((owner) => owner.controller === true);
  const detachOwner = input.detach && controllerRef !== undefined;
  const annotations: Record<string, string> = {
    [QUARANTINE_ANNOTATIONS.originalLabels]: canonicalLabels(original),
    [QUARANTINE_ANNOTATIONS.idempotencyKey]: input.idempotencyKey,
    [QUARANTINE_ANNOTATIONS.quarantinedAt]: new Date(input.now).toISOString(),
    [QUARANTINE_ANNOTATIONS.policy]: policyName,
    ...(expiresAt === undefined ? {} : { [QUARANTINE_ANNOTATIONS.expiresAt]: expiresAt }),
    ...(detachOwner ? { [QUARANTINE_ANNOTATIONS.releasedFrom]: `${controllerRef.kind}/${controllerRef.name}` } : {}),
  };
  const remainingOwners = owners.filter((owner) => owner !== controllerRef);

  const podPatch: PodMetadataPatch = {
    metadata: {
      resourceVersion,
      labels: labelPatch,
      annotations,
      ...(detachOwner ? { ownerReferences: remainingOwners.length === 0 ? null : remainingOwners } : {}),
    },
  };

  return {
    policyName,
    policy: quarantinePolicy({ name: policyName, namespace, podName: name, podUid: uid, idempotencyKey: input.idempotencyKey, expiresAt }),
    podPatch,
    labels,
    removedLabels,
    detachedFrom,
    stillAllowedBy: allowPolicies
      .filter((policy) => labelSelectorMatches(policy.spec?.podSelector, labels))
      .map((policy) => policy.metadata?.name ?? ''),
    controllerStillSelects: input.detach && input.controller !== undefined && labelSelectorMatches(input.controller.selector, labels),
    expiresAt,
  };
}

interface PolicyFacts {
  readonly name: string;
  readonly namespace: string;
  readonly podName: string;
  readonly podUid: string;
  readonly idempotencyKey: string;
  readonly expiresAt: string | undefined;
}

/**
 * A NetworkPolicy selecting exactly one pod (by UID) with both policy types and no rules: all its
 * ingress and egress is denied. Owned by the pod, so deleting the pod after forensics removes it.
 */
export function quarantinePolicy(facts: PolicyFacts): V1NetworkPolicy {
  return kubeObject<V1NetworkPolicy>({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: facts.name,
      namespace: facts.namespace,
      labels: { [MANAGED_BY.label]: MANAGED_BY.value, [QUARANTINE_LABEL]: 'true' },
      annotations: {
        [QUARANTINE_ANNOTATIONS.podUid]: facts.podUid,
        [QUARANTINE_ANNOTATIONS.idempotencyKey]: facts.idempotencyKey,
        ...(facts.expiresAt === undefined ? {} : { [QUARANTINE_ANNOTATIONS.expiresAt]: facts.expiresAt }),
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: facts.podName, uid: facts.podUid }],
    },
    spec: {
      podSelector: { matchLabels: { [QUARANTINE_LABEL]: 'true', [QUARANTINE_ID_LABEL]: facts.podUid } },
      policyTypes: ['Ingress', 'Egress'],
    },
  });
}

/** What {@link planRelease} restores. */
export interface ReleasePlan {
  readonly podPatch: PodMetadataPatch;
  /** The pod's labels once patched: the originals, plus labels others added during the quarantine. */
  readonly labels: Labels;
  readonly policyName: string;
}

/**
 * Plans the release of a quarantined pod: its original labels back (labels others added meanwhile
 * are kept, ours removed) and the quarantine annotations removed. `undefined` when the pod is not
 * quarantined. Throws when the recorded original labels cannot be read.
 */
export function planRelease(pod: V1Pod): ReleasePlan | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  const recorded = annotations[QUARANTINE_ANNOTATIONS.originalLabels];
  if (recorded === undefined) return undefined;
  const original = parseLabels(recorded);
  const current: Labels = pod.metadata?.labels ?? {};

  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(current)) {
    if (key !== QUARANTINE_LABEL && key !== QUARANTINE_ID_LABEL) labels[key] = value;
  }
  Object.assign(labels, original);
  const labelPatch: Record<string, string | null> = {};
  for (const key of Object.keys(current)) if (!(key in labels)) labelPatch[key] = null;
  for (const [key, value] of Object.entries(labels)) if (current[key] !== value) labelPatch[key] = value;

  const annotationPatch: Record<string, null> = {};
  for (const key of Object.values(QUARANTINE_ANNOTATIONS)) if (key in annotations) annotationPatch[key] = null;

  return {
    podPatch: { metadata: { resourceVersion: pod.metadata?.resourceVersion ?? '', labels: labelPatch, annotations: annotationPatch } },
    labels,
    policyName:
      annotations[QUARANTINE_ANNOTATIONS.policy] ?? quarantinePolicyName(pod.metadata?.name ?? '', pod.metadata?.uid ?? ''),
  };
}

/** True for a policy with at least one ingress or egress rule, which allows some traffic. */
function isAllowPolicy(policy: V1NetworkPolicy): boolean {
  if (policy.metadata?.labels?.[MANAGED_BY.label] === MANAGED_BY.value) return false;
  return (policy.spec?.ingress?.length ?? 0) > 0 || (policy.spec?.egress?.length ?? 0) > 0;
}

/** Labels as JSON with sorted keys, so the same labels always give the same annotation. */
function canonicalLabels(labels: Labels): string {
  return JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

function parseLabels(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new Error(`annotation ${QUARANTINE_ANNOTATIONS.originalLabels} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`annotation ${QUARANTINE_ANNOTATIONS.originalLabels} is not a JSON object`);
  }
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new Error(`annotation ${QUARANTINE_ANNOTATIONS.originalLabels}: label ${key} is not a string`);
    labels[key] = value;
  }
  return labels;
}
