import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { DEPLOYMENT_ANNOTATIONS } from './deployment-patches.js';

/** The Deployment controller numbers each ReplicaSet (each pod template) with this annotation. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** The label the Deployment controller adds to each ReplicaSet's template; not part of the template proper. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';

/**
 * Deployment annotations a rollback keeps from the Deployment rather than taking from the
 * ReplicaSet: kubectl's `annotationsToSkip` (staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback.go).
 */
export const ANNOTATIONS_TO_SKIP: readonly string[] = [
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
];

/** The revision number of a ReplicaSet; undefined when it has none or it is not an integer. */
export function revisionOf(object: V1ReplicaSet | V1Deployment): number | undefined {
  const text = object.metadata?.annotations?.[REVISION_ANNOTATION];
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

/** The ReplicaSets a Deployment controls (matched by controller UID, as `GetAllReplicaSets` does). */
export function ownedReplicaSets(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet[] {
  const uid = deployment.metadata?.uid;
  return replicaSets.filter((rs) =>
    (rs.metadata?.ownerReferences ?? []).some((owner) => owner.controller === true && owner.uid === uid),
  );
}

/** The ReplicaSet to roll back to, or why there is none (kubectl's messages). */
export type RevisionChoice =
  | { readonly found: true; readonly replicaSet: V1ReplicaSet; readonly revision: number }
  | { readonly found: false; readonly message: string };

/**
 * kubectl's `deploymentRevision`: with `toRevision` 0 the second-highest revision (the one before
 * the current), otherwise exactly `toRevision`. ReplicaSets without a readable revision are ignored.
 */
export function selectRollbackRevision(replicaSets: readonly V1ReplicaSet[], toRevision: number, deploymentName: string): RevisionChoice {
  let latest: { rs: V1ReplicaSet; revision: number } | undefined;
  let previous: { rs: V1ReplicaSet; revision: number } | undefined;
  for (const rs of replicaSets) {
    const revision = revisionOf(rs);
    if (revision === undefined) continue;
    if (toRevision > 0) {
      if (revision === toRevision) return { found: true, replicaSet: rs, revision };
      continue;
    }
    if (latest === undefined || latest.revision < revision) {
      previous = latest;
      latest = { rs, revision };
    } else if (previous === undefined || previous.revision < revision) {
      previous = { rs, revision };
    }
  }
  if (toRevision > 0) return { found: false, message: `unable to find specified revision ${toRevision} in history` };
  if (previous === undefined) return { found: false, message: `no rollout history found for deployment "${deploymentName}"` };
  return { found: true, replicaSet: previous.rs, revision: previous.revision };
}

/**
 * kubectl's `equalIgnoreHash`: the two pod templates are the same once the `pod-template-hash`
 * label is dropped. Absent, null and empty values compare equal, as with apimachinery's semantic
 * equality.
 */
export function templatesEqualIgnoringHash(
  a: V1PodTemplateSpec | undefined,
  b: V1PodTemplateSpec | undefined,
  hashLabel: string = POD_TEMPLATE_HASH,
): boolean {
  return canonicalJson(templateWithoutHash(a, hashLabel)) === canonicalJson(templateWithoutHash(b, hashLabel));
}

/**
 * The pod template as plain JSON, without the controller's hash label (`pod-template-hash` for a
 * Deployment, `rollouts-pod-template-hash` for an Argo Rollout).
 */
export function templateWithoutHash(template: V1PodTemplateSpec | undefined, hashLabel: string = POD_TEMPLATE_HASH): unknown {
  // A JSON round trip turns the client's model instances (Dates included) into wire-format data.
  const plain = JSON.parse(JSON.stringify(template ?? {})) as { metadata?: { labels?: Record<string, string> } };
  if (plain.metadata?.labels !== undefined) {
    const { [hashLabel]: _hash, ...labels } = plain.metadata.labels;
    plain.metadata.labels = labels;
  }
  return plain;
}

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  readonly op: 'replace' | 'add' | 'remove' | 'test';
  readonly path: string;
  readonly value?: unknown;
}

/**
 * The one JSON patch `kubectl rollout undo` sends: the ReplicaSet's template (without its hash
 * label) replaces the Deployment's, and the Deployment's annotations become its kept keys plus the
 * ReplicaSet's other annotations. `extra` adds the engine's own annotations to the latter.
 */
export function rollbackPatch(
  deployment: V1Deployment,
  replicaSet: V1ReplicaSet,
  extra: Readonly<Record<string, string>>,
): JsonPatchOperation[] {
  const current = deployment.metadata?.annotations ?? {};
  const annotations: Record<string, string> = {};
  for (const key of ANNOTATIONS_TO_SKIP) {
    const value = current[key];
    if (value !== undefined) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(replicaSet.metadata?.annotations ?? {})) {
    if (!ANNOTATIONS_TO_SKIP.includes(key)) annotations[key] = value;
  }
  Object.assign(annotations, extra);
  return [
    { op: 'replace', path: '/spec/template', value: templateWithoutHash(replicaSet.spec?.template) },
    { op: 'replace', path: '/metadata/annotations', value: annotations },
  ];
}

/** The engine's annotations on a rolled-back Deployment: the step's key and the revision it left. */
export function rollbackAnnotations(idempotencyKey: string, leftRevision: number | undefined): Record<string, string> {
  return {
    [DEPLOYMENT_ANNOTATIONS.rollbackKey]: idempotencyKey,
    ...(leftRevision === undefined ? {} : { [DEPLOYMENT_ANNOTATIONS.rolledBackFrom]: String(leftRevision) }),
  };
}

/** The revision a Deployment is at: its own annotation, else the highest of its ReplicaSets. */
export function currentRevision(deployment: V1Deployment, owned: readonly V1ReplicaSet[]): number | undefined {
  const own = revisionOf(deployment);
  if (own !== undefined) return own;
  const revisions = owned.map(revisionOf).filter((revision): revision is number => revision !== undefined);
  return revisions.length === 0 ? undefined : Math.max(...revisions);
}

/** JSON with sorted keys and without null, undefined, empty objects and empty arrays. */
export function canonicalJson(value: unknown): string {
  // JSON.stringify answers undefined for undefined, although its declared type says string.
  const text = JSON.stringify(prune(value)) as string | undefined;
  return text ?? '';
}

function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(prune);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .map(([key, item]) => [key, prune(item)] as const)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value === null ? undefined : value;
}
