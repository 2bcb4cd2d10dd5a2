import { z } from 'zod';
import { ActionError } from '../../shared/errors.js';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';
import { currentReplicas, DEPLOYMENT_ANNOTATIONS, scalePatch } from './deployment-patches.js';
import { kubeClients, PATCH } from './kube-clients.js';

const ID = 'kubernetes.scale';
const ATTEMPTS = 3;

const params = z.object({ namespace: k8sName, deployment: k8sName, replicas: z.number().int().min(0).max(1000) }).strict();
type Params = z.output<typeof params>;

/**
 * Sets a Deployment's replica count (for example to 0 to stop a compromised model server),
 * recording the count it replaces on the Deployment so the undo can restore it. A
 * HorizontalPodAutoscaler managing the Deployment overrides the count at its next sync.
 */
export const scale = defineAction({
  id: ID,
  provider: 'kubernetes',
  summary: 'Set the replica count of a Deployment',
  params,
  rbac: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] }],
  inverse: 'kubernetes.scale',
  destructive: true,
  example: { namespace: 'ml-prod', deployment: '{{ entity.workload }}', replicas: 0 },
  target: (p) => ({ kind: 'Deployment', namespace: p.namespace, name: p.deployment }),
  describe: (p) => `scale deployment ${p.namespace}/${p.deployment} to ${p.replicas} replica(s), recording the current count so it can be restored`,
  execute: scaleDeployment,
});

async function scaleDeployment(p: Params, ctx: ActionContext): Promise<ActionResult> {
  const kube = await kubeClients(ctx, ID);
  const name = `${p.namespace}/${p.deployment}`;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const deployment = await kube.call(`read deployment ${name}`, () =>
      kube.apps.readNamespacedDeployment({ name: p.deployment, namespace: p.namespace }, kube.options()),
    );
    const annotations = deployment.metadata?.annotations ?? {};
    if (annotations[DEPLOYMENT_ANNOTATIONS.scaleKey] === ctx.idempotencyKey) {
      const previous = Number(annotations[DEPLOYMENT_ANNOTATIONS.scalePreviousReplicas]);
      return {
        outcome: 'already-done',
        summary: `deployment ${name} was already scaled by this step (from ${previous} to ${p.replicas} replica(s))`,
        details: { previousReplicas: previous, replicas: p.replicas },
        ...(Number.isInteger(previous) ? { undo: undoTo(p, previous) } : {}),
      };
    }
    const previous = currentReplicas(deployment);
    try {
      await kube.call(`patch deployment ${name}`, () =>
        kube.apps.patchNamespacedDeployment(
          { name: p.deployment, namespace: p.namespace, body: scalePatch(deployment, p.replicas, ctx.idempotencyKey) },
          kube.options(PATCH.merge),
        ),
      );
    } catch (error) {
      if (error instanceof ActionError && error.reason === 'conflict' && attempt < ATTEMPTS) continue;
      throw error;
    }
    return {
      outcome: 'succeeded',
      summary: `scaled deployment ${name} from ${previous} to ${p.replicas} replica(s)`,
      details: { previousReplicas: previous, replicas: p.replicas },
      undo: undoTo(p, previous),
    };
  }
  throw new ActionError('conflict', `deployment ${name} kept changing while it was being scaled (${ATTEMPTS} attempts)`);
}

function undoTo(p: Params, replicas: number): NonNullable<ActionResult['undo']> {
  return { action: ID, params: { namespace: p.namespace, deployment: p.deployment, replicas } };
}
