import type { V1LabelSelector, V1PodTemplateSpec } from '@kubernetes/client-node';
import { z } from 'zod';
import { ActionError } from '../../shared/errors.js';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';
import {
  replicaSetsOwnedBy,
  ROLLOUT,
  ROLLOUT_ANNOTATIONS,
  ROLLOUT_HASH_LABEL,
  ROLLOUT_REVISION_ANNOTATION,
  rolloutSchema,
  selectRolloutRevision,
  undoRolloutPatch,
  type Rollout,
} from './argo-rollouts.js';
import { kubeClients, PATCH, type KubeClients } from './kube-clients.js';
import { labelSelectorString } from './kube-selectors.js';
import { templatesEqualIgnoringHash } from './rollback-plan.js';

const ID = 'kubernetes.undo-rollout';

const params = z
  .object({
    namespace: k8sName,
    rollout: k8sName,
    /** 0 = the previous revision, as `kubectl argo rollouts undo` without --to-revision. */
    toRevision: z.number().int().min(0).default(0),
  })
  .strict();
type Params = z.output<typeof params>;

/**
 * Rolls an Argo Rollout back the way `kubectl argo rollouts undo` does
 * (`pkg/kubectl-argo-rollouts/cmd/undo/undo.go`): the pod template of the previous revision's
 * ReplicaSet (by `rollout.argoproj.io/revision`, among the ReplicaSets the Rollout controls),
 * without its `rollouts-pod-template-hash` label, replaces `spec.template` in one JSON patch. The
 * Rollout controller then treats it as a rollback to the stable version and skips the canary
 * steps. A Rollout with a `workloadRef` takes its template from a Deployment: that Deployment is
 * patched, as kubectl does.
 */
export const undoRollout = defineAction({
  id: ID,
  provider: 'kubernetes',
  summary: 'Roll an Argo Rollout back to the pod template of its previous (or a named) revision',
  params,
  rbac: [
    { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get', 'patch'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
    // A Rollout with a workloadRef keeps its template in a Deployment: kubectl patches that.
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
  ],
  inverse: ID,
  destructive: true,
  example: { namespace: '{{ entity.namespace }}', rollout: '{{ entity.model }}' },
  target: (p) => ({ kind: 'Rollout', namespace: p.namespace, name: p.rollout }),
  describe: (p) =>
    `roll Argo Rollout ${p.namespace}/${p.rollout} back to the pod template of ${p.toRevision === 0 ? 'its previous revision' : `revision ${p.toRevision}`}, ` +
    'as kubectl argo rollouts undo does, recording the revision it leaves',
  execute: async (p: Params, ctx: ActionContext): Promise<ActionResult> => {
    const kube = await kubeClients(ctx, ID);
    const rollout = await readRollout(kube, p.namespace, p.rollout);
    if (rollout === undefined) throw new ActionError('client', `rollout ${p.namespace}/${p.rollout} does not exist`);
    return undoRolloutOf(kube, p.namespace, rollout, p.toRevision, ctx);
  },
});

/** Reads a Rollout; undefined when there is none of that name (or the CRD is not installed). */
export async function readRollout(kube: KubeClients, namespace: string, name: string): Promise<Rollout | undefined> {
  const raw: unknown = await kube.callOrAbsent(`read rollout ${namespace}/${name}`, () =>
    kube.custom.getNamespacedCustomObject({ ...ROLLOUT, namespace, name }, kube.options()),
  );
  if (raw === undefined) return undefined;
  const rollout = rolloutSchema.safeParse(raw);
  if (!rollout.success) throw new ActionError('client', `rollout ${namespace}/${name} does not have the expected shape: ${rollout.error.message}`);
  return rollout.data;
}

/** Where the Rollout's pod template lives: the Rollout itself, or the Deployment its workloadRef names. */
interface TemplateHolder {
  readonly kind: 'Rollout' | 'Deployment';
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly template: V1PodTemplateSpec | undefined;
}

/**
 * The undo itself, shared with `kubernetes.rollback-deployment` when a Rollout owns the model's
 * pods. Idempotent: a Rollout (or its workload) carrying this step's key is `already-done`.
 */
export async function undoRolloutOf(kube: KubeClients, namespace: string, rollout: Rollout, toRevision: number, ctx: ActionContext): Promise<ActionResult> {
  const name = `${namespace}/${rollout.metadata.name}`;
  const holder = await templateHolder(kube, namespace, rollout);
  const annotations = holder.annotations ?? {};
  if (annotations[ROLLOUT_ANNOTATIONS.rollbackKey] === ctx.idempotencyKey) {
    const left = Number(annotations[ROLLOUT_ANNOTATIONS.rolledBackFrom]);
    return {
      outcome: 'already-done',
      summary: `rollout ${name} was already rolled back by this step (from revision ${Number.isInteger(left) ? left : 'unknown'})`,
      details: { kind: 'Rollout', ...(Number.isInteger(left) ? { fromRevision: left } : {}) },
      ...(Number.isInteger(left) ? { undo: undoTo(namespace, rollout.metadata.name, left) } : {}),
    };
  }
  // A Rollout with a workloadRef may leave its selector to the workload: kubectl then lists every
  // ReplicaSet of the namespace, and ownership alone decides.
  const selector = rollout.spec?.selector;
  const labelSelector = selector === undefined ? '' : labelSelectorString(selector as V1LabelSelector);
  const listed = await kube.call(`list replica sets of rollout ${name}`, () =>
    kube.apps.listNamespacedReplicaSet({ namespace, ...(labelSelector === '' ? {} : { labelSelector }) }, kube.options()),
  );
  const owned = replicaSetsOwnedBy(rollout.metadata.uid, listed.items);
  const choice = selectRolloutRevision(owned, toRevision, rollout.metadata.name);
  if (!choice.found) throw new ActionError('client', `cannot roll back rollout ${name}: ${choice.message}`);
  const own = Number(rollout.metadata.annotations?.[ROLLOUT_REVISION_ANNOTATION]);
  const left = Number.isSafeInteger(own) && own > 0 ? own : choice.latest;

  if (templatesEqualIgnoringHash(choice.replicaSet.spec?.template, holder.template, ROLLOUT_HASH_LABEL)) {
    return {
      outcome: 'already-done',
      summary: `skipped rollback of rollout ${name} (current template already matches revision ${choice.revision})`,
      details: { kind: 'Rollout', toRevision: choice.revision, skipped: true },
    };
  }
  const patch = undoRolloutPatch(holder, choice.replicaSet.spec?.template, {
    [ROLLOUT_ANNOTATIONS.rollbackKey]: ctx.idempotencyKey,
    [ROLLOUT_ANNOTATIONS.rolledBackFrom]: String(left),
  });
  if (holder.kind === 'Rollout') {
    await kube.call(`patch rollout ${name}`, () =>
      kube.custom.patchNamespacedCustomObject({ ...ROLLOUT, namespace, name: rollout.metadata.name, body: patch }, kube.options(PATCH.json)),
    );
  } else {
    await kube.call(`patch deployment ${namespace}/${holder.name} (the workload of rollout ${name})`, () =>
      kube.apps.patchNamespacedDeployment({ namespace, name: holder.name, body: patch }, kube.options(PATCH.json)),
    );
  }
  const images = (choice.replicaSet.spec?.template?.spec?.containers ?? []).map((container) => container.image ?? '').join(',');
  return {
    outcome: 'succeeded',
    summary:
      `rolled rollout ${name} back from revision ${left} to the template of revision ${choice.revision} (${images})` +
      (holder.kind === 'Deployment' ? ` by patching its workload, deployment ${holder.name}` : ''),
    details: { kind: 'Rollout', fromRevision: left, toRevision: choice.revision, images, ...(holder.kind === 'Deployment' ? { workload: `Deployment/${holder.name}` } : {}) },
    undo: undoTo(namespace, rollout.metadata.name, left),
  };
}

async function templateHolder(kube: KubeClients, namespace: string, rollout: Rollout): Promise<TemplateHolder> {
  const ref = rollout.spec?.workloadRef;
  if (ref === undefined) {
    return {
      kind: 'Rollout',
      name: rollout.metadata.name,
      uid: rollout.metadata.uid,
      resourceVersion: rollout.metadata.resourceVersion,
      ...(rollout.metadata.annotations === undefined ? {} : { annotations: rollout.metadata.annotations }),
      template: rollout.spec?.template as V1PodTemplateSpec | undefined,
    };
  }
  if (ref.kind !== 'Deployment') {
    throw new ActionError('refused', `rollout ${namespace}/${rollout.metadata.name} takes its pod template from a ${ref.kind} (workloadRef); only a Deployment workload can be rolled back`);
  }
  const deployment = await kube.call(`read deployment ${namespace}/${ref.name} (the workload of rollout ${namespace}/${rollout.metadata.name})`, () =>
    kube.apps.readNamespacedDeployment({ namespace, name: ref.name }, kube.options()),
  );
  const uid = deployment.metadata?.uid;
  const resourceVersion = deployment.metadata?.resourceVersion;
  if (uid === undefined || resourceVersion === undefined) throw new ActionError('client', `deployment ${namespace}/${ref.name} has no uid or resourceVersion`);
  return {
    kind: 'Deployment',
    name: ref.name,
    uid,
    resourceVersion,
    ...(deployment.metadata?.annotations === undefined ? {} : { annotations: deployment.metadata.annotations }),
    template: deployment.spec?.template,
  };
}

function undoTo(namespace: string, rollout: string, revision: number): NonNullable<ActionResult['undo']> {
  return { action: ID, params: { namespace, rollout, toRevision: revision } };
}
