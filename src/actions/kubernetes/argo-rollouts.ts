import type { V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { z } from 'zod';
import { DEPLOYMENT_ANNOTATIONS } from './deployment-patches.js';
import { templateWithoutHash, type JsonPatchOperation } from './rollback-plan.js';

/** Where Argo Rollouts' Rollout lives in the API. */
export const ROLLOUT = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' } as const;

/** The Rollout controller numbers each of its ReplicaSets with this annotation. */
export const ROLLOUT_REVISION_ANNOTATION = 'rollout.argoproj.io/revision';

/** The label the Rollout controller adds to each ReplicaSet's template (`DefaultRolloutUniqueLabelKey`). */
export const ROLLOUT_HASH_LABEL = 'rollouts-pod-template-hash';

const labelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
    .optional(),
});

/**
 * The parts of a Rollout the actions read. Not strict: a Rollout is the API server's object, and
 * every field not named here (strategy, status details) is left as it is.
 */
export const rolloutSchema = z.object({
  metadata: z.object({
    name: z.string(),
    uid: z.string().min(1),
    resourceVersion: z.string().min(1),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z
    .object({
      selector: labelSelectorSchema.optional(),
      template: z.record(z.string(), z.unknown()).optional(),
      workloadRef: z.object({ apiVersion: z.string().optional(), kind: z.string(), name: z.string() }).optional(),
      paused: z.boolean().optional(),
    })
    .optional(),
  status: z.object({ abort: z.boolean().optional(), abortedAt: z.string().optional() }).optional(),
});

/** A Rollout as the actions see it. */
export type Rollout = z.output<typeof rolloutSchema>;

/**
 * The revision of a ReplicaSet as kubectl-argo-rollouts reads it (`revision` in
 * `cmd/undo/undo.go`): no annotation is revision 0; an annotation that is not an integer leaves the
 * ReplicaSet out (undefined).
 */
export function rolloutRevisionOf(rs: V1ReplicaSet): number | undefined {
  const text = rs.metadata?.annotations?.[ROLLOUT_REVISION_ANNOTATION];
  if (text === undefined) return 0;
  if (!/^[-+]?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The ReplicaSets this Rollout controls (`metav1.IsControlledBy`: the controller reference's UID). */
export function replicaSetsOwnedBy(uid: string, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet[] {
  return replicaSets.filter((rs) => (rs.metadata?.ownerReferences ?? []).some((ref) => ref.controller === true && ref.uid === uid));
}

/** The ReplicaSet to go back to, or why there is none (kubectl-argo-rollouts' messages). */
export type RolloutRevisionChoice =
  | { readonly found: true; readonly replicaSet: V1ReplicaSet; readonly revision: number; readonly latest: number }
  | { readonly found: false; readonly message: string };

/**
 * `rolloutRevision` of kubectl-argo-rollouts: with `toRevision` 0 the second-highest revision,
 * otherwise exactly `toRevision`. Also answers the highest revision: the one the undo leaves.
 */
export function selectRolloutRevision(replicaSets: readonly V1ReplicaSet[], toRevision: number, rolloutName: string): RolloutRevisionChoice {
  let latest: { rs: V1ReplicaSet; revision: number } | undefined;
  let previous: { rs: V1ReplicaSet; revision: number } | undefined;
  let named: { rs: V1ReplicaSet; revision: number } | undefined;
  for (const rs of replicaSets) {
    const revision = rolloutRevisionOf(rs);
    if (revision === undefined) continue;
    if (toRevision > 0 && revision === toRevision) named ??= { rs, revision };
    if (latest === undefined || latest.revision < revision) {
      previous = latest;
      latest = { rs, revision };
    } else if (previous === undefined || previous.revision < revision) {
      previous = { rs, revision };
    }
  }
  if (toRevision > 0) {
    if (named === undefined) return { found: false, message: `unable to find specified revision ${toRevision} in history` };
    return { found: true, replicaSet: named.rs, revision: named.revision, latest: latest?.revision ?? named.revision };
  }
  if (previous === undefined || latest === undefined) return { found: false, message: `no revision found for rollout "${rolloutName}"` };
  return { found: true, replicaSet: previous.rs, revision: previous.revision, latest: latest.revision };
}

/** RFC 6901: `~` and `/` escaped, for an annotation key inside a JSON pointer. */
export function jsonPointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The JSON patch of `kubectl argo rollouts undo` (`replace /spec/template` with the ReplicaSet's
 * template minus `rollouts-pod-template-hash`), guarded: a `test` of the UID read (a Rollout
 * deleted and created again under the same name is not the one that was judged) and the
 * resourceVersion read put back (409 when anything changed since), plus the step's annotations.
 */
export function undoRolloutPatch(
  object: { readonly uid: string; readonly resourceVersion: string; readonly annotations?: Readonly<Record<string, string>> | undefined },
  template: V1PodTemplateSpec | undefined,
  annotations: Readonly<Record<string, string>>,
): JsonPatchOperation[] {
  const operations: JsonPatchOperation[] = [
    { op: 'test', path: '/metadata/uid', value: object.uid },
    { op: 'replace', path: '/metadata/resourceVersion', value: object.resourceVersion },
    { op: 'replace', path: '/spec/template', value: templateWithoutHash(template, ROLLOUT_HASH_LABEL) },
  ];
  if (object.annotations === undefined) {
    operations.push({ op: 'add', path: '/metadata/annotations', value: { ...annotations } });
  } else {
    for (const [key, value] of Object.entries(annotations)) {
      operations.push({ op: 'add', path: `/metadata/annotations/${jsonPointerToken(key)}`, value });
    }
  }
  return operations;
}

/** The merge patch of `kubectl argo rollouts abort`, with the UID and resourceVersion read as preconditions. */
export interface AbortRolloutPatch {
  readonly metadata: { readonly uid: string; readonly resourceVersion: string };
  readonly status: { readonly abort: true };
}

/**
 * `{"status":{"abort":true}}`, the patch kubectl-argo-rollouts sends, plus the UID and
 * resourceVersion read: the API server refuses the write (409 or 422) when the Rollout changed or
 * was replaced since it was read.
 */
export function abortRolloutPatch(rollout: Rollout): AbortRolloutPatch {
  return { metadata: { uid: rollout.metadata.uid, resourceVersion: rollout.metadata.resourceVersion }, status: { abort: true } };
}

/** Annotations the Rollout rollback records on what it changes: the Deployment rollback's own keys. */
export const ROLLOUT_ANNOTATIONS = {
  rollbackKey: DEPLOYMENT_ANNOTATIONS.rollbackKey,
  /** The revision a rollback left: what its undo rolls back to. */
  rolledBackFrom: DEPLOYMENT_ANNOTATIONS.rolledBackFrom,
} as const;
