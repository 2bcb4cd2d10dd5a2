import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { z } from 'zod';
import { ActionError } from '../../shared/errors.js';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';
import { DEPLOYMENT_ANNOTATIONS } from './deployment-patches.js';
import { canaryRollbackPatch, INFERENCE_SERVICE, type InferenceService } from './inference-service.js';
import { kubeClients, PATCH, type KubeClients } from './kube-clients.js';
import {
  currentRevision,
  ownedReplicaSets,
  rollbackAnnotations,
  rollbackPatch,
  selectRollbackRevision,
  templatesEqualIgnoringHash,
} from './rollback-plan.js';
import { resolveRollbackTarget } from './rollback-target.js';
import { undoRolloutOf } from './undo-rollout.js';

const ID = 'kubernetes.rollback-deployment';

const params = z
  .object({
    namespace: k8sName,
    deployment: k8sName,
    /** 0 = the previous revision, as `kubectl rollout undo` without --to-revision. */
    toRevision: z.number().int().min(0).default(0),
  })
  .strict();
type Params = z.output<typeof params>;

/**
 * Rolls a model's workload back, whichever the cluster holds (see `resolveRollbackTarget`): an Argo
 * Rollout of that name or owning the Deployment's pods is undone as `kubectl argo rollouts undo`
 * does; a serverless KServe InferenceService of that name gets canary traffic 0; otherwise the
 * Deployment is rolled back the way `kubectl rollout undo` does: the chosen ReplicaSet's pod
 * template replaces the current one in one JSON patch; a paused Deployment is refused; nothing is
 * written when the template already matches.
 */
export const rollbackDeployment = defineAction({
  id: ID,
  provider: 'kubernetes',
  summary: 'Roll a model back: the Argo Rollout owning its pods, else a KServe InferenceService canary, else the Deployment',
  params,
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
    { apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], verbs: ['get', 'patch'] },
    { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get', 'patch'] },
  ],
  inverse: 'kubernetes.rollback-deployment',
  destructive: true,
  example: { namespace: '{{ entity.namespace }}', deployment: '{{ entity.model }}' },
  target: (p) => ({ kind: 'Deployment', namespace: p.namespace, name: p.deployment }),
  describe: (p) =>
    `roll ${p.namespace}/${p.deployment} back to ${p.toRevision === 0 ? 'its previous revision' : `revision ${p.toRevision}`}: ` +
    'the Argo Rollout of that name or owning its pods if there is one, else the serverless InferenceService of that name ' +
    '(canaryTrafficPercent 0), else the Deployment, recording the revision it leaves',
  execute: rollback,
});

async function rollback(p: Params, ctx: ActionContext): Promise<ActionResult> {
  const kube = await kubeClients(ctx, ID);
  const target = await resolveRollbackTarget(kube, p.namespace, p.deployment);
  switch (target.kind) {
    case 'Rollout': {
      const result = await undoRolloutOf(kube, p.namespace, target.rollout, p.toRevision, ctx);
      return { ...result, summary: `${result.summary} (resolved from "${p.deployment}": ${target.why})` };
    }
    case 'InferenceService':
      return rollbackCanary(kube, p, ctx, target.isvc);
    case 'Deployment':
      return rollbackRevision(kube, p, ctx, target.deployment, target.replicaSets);
  }
}

async function rollbackCanary(kube: KubeClients, p: Params, ctx: ActionContext, isvc: InferenceService): Promise<ActionResult> {
  const name = `${p.namespace}/${p.deployment}`;
  const revisions = isvc.status?.components?.predictor;
  const facts = {
    kind: 'InferenceService',
    ...(revisions?.latestRolledoutRevision === undefined ? {} : { latestRolledoutRevision: revisions.latestRolledoutRevision }),
    ...(revisions?.previousRolledoutRevision === undefined ? {} : { previousRolledoutRevision: revisions.previousRolledoutRevision }),
  };
  const current = isvc.spec?.predictor?.canaryTrafficPercent;
  if (isvc.metadata?.annotations?.[DEPLOYMENT_ANNOTATIONS.rollbackKey] === ctx.idempotencyKey || current === 0) {
    return {
      outcome: 'already-done',
      summary: `inference service ${name} already sends all traffic to its previous rolled-out revision (canaryTrafficPercent 0)`,
      details: { ...facts, canaryTrafficPercent: 0 },
    };
  }
  const patch = canaryRollbackPatch(isvc, ctx.idempotencyKey);
  await kube.call(`patch inference service ${name}`, () =>
    kube.custom.patchNamespacedCustomObject(
      { ...INFERENCE_SERVICE, namespace: p.namespace, name: p.deployment, body: patch },
      kube.options(PATCH.merge),
    ),
  );
  return {
    outcome: 'succeeded',
    summary:
      `rolled inference service ${name} back: canaryTrafficPercent ${current ?? 'unset'} -> 0, all traffic goes to its previous rolled-out revision` +
      (revisions?.previousRolledoutRevision === undefined ? '' : ` ${revisions.previousRolledoutRevision}`),
    details: { ...facts, previousCanaryTrafficPercent: current ?? 'unset', canaryTrafficPercent: 0 },
  };
}

async function rollbackRevision(
  kube: KubeClients,
  p: Params,
  ctx: ActionContext,
  deployment: V1Deployment,
  replicaSets: readonly V1ReplicaSet[],
): Promise<ActionResult> {
  const name = `${p.namespace}/${p.deployment}`;
  const annotations = deployment.metadata?.annotations ?? {};
  if (annotations[DEPLOYMENT_ANNOTATIONS.rollbackKey] === ctx.idempotencyKey) {
    const left = Number(annotations[DEPLOYMENT_ANNOTATIONS.rolledBackFrom]);
    return {
      outcome: 'already-done',
      summary: `deployment ${name} was already rolled back by this step (from revision ${left})`,
      details: { kind: 'Deployment', fromRevision: left },
      ...(Number.isInteger(left) ? { undo: undoTo(p, left) } : {}),
    };
  }
  // kubectl checks this first, before looking at the history.
  if (deployment.spec?.paused === true) {
    throw new ActionError('refused', `deployment ${name} is paused: you cannot rollback a paused deployment; resume it first and try again`);
  }
  if (deployment.spec?.selector === undefined) throw new ActionError('client', `deployment ${name} has no selector`);
  const owned = ownedReplicaSets(deployment, replicaSets);
  const choice = selectRollbackRevision(owned, p.toRevision, p.deployment);
  if (!choice.found) throw new ActionError('client', `cannot roll back deployment ${name}: ${choice.message}`);
  const left = currentRevision(deployment, owned);

  if (templatesEqualIgnoringHash(choice.replicaSet.spec?.template, deployment.spec.template)) {
    return {
      outcome: 'already-done',
      summary: `skipped rollback of deployment ${name}: current template already matches revision ${choice.revision}`,
      details: { kind: 'Deployment', toRevision: choice.revision, skipped: true },
    };
  }
  const patch = rollbackPatch(deployment, choice.replicaSet, rollbackAnnotations(ctx.idempotencyKey, left));
  await kube.call(`patch deployment ${name}`, () =>
    kube.apps.patchNamespacedDeployment({ name: p.deployment, namespace: p.namespace, body: patch }, kube.options(PATCH.json)),
  );
  const images = (choice.replicaSet.spec?.template?.spec?.containers ?? []).map((container) => container.image ?? '').join(',');
  return {
    outcome: 'succeeded',
    summary: `rolled deployment ${name} back from revision ${left ?? 'unknown'} to the template of revision ${choice.revision} (${images})`,
    details: { kind: 'Deployment', ...(left === undefined ? {} : { fromRevision: left }), toRevision: choice.revision, images },
    ...(left === undefined ? {} : { undo: undoTo(p, left) }),
  };
}

function undoTo(p: Params, revision: number): NonNullable<ActionResult['undo']> {
  return { action: ID, params: { namespace: p.namespace, deployment: p.deployment, toRevision: revision } };
}
