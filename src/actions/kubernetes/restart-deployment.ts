import { z } from 'zod';
import { ActionError } from '../../shared/errors.js';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';
import { DEPLOYMENT_ANNOTATIONS, RESTARTED_AT, restartPatch } from './deployment-patches.js';
import { kubeClients, PATCH } from './kube-clients.js';

const ID = 'kubernetes.restart-deployment';

const params = z.object({ namespace: k8sName, deployment: k8sName }).strict();
type Params = z.output<typeof params>;

/**
 * Rolling restart, the way `kubectl rollout restart` does it: a `restartedAt` annotation on the pod
 * template starts a rollout. Like kubectl, a paused Deployment is refused (the new template would
 * not roll out until resumed).
 */
export const restartDeployment = defineAction({
  id: ID,
  provider: 'kubernetes',
  summary: 'Rolling restart of a Deployment, e.g. so its pods read a rotated credential',
  params,
  rbac: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] }],
  destructive: false,
  example: { namespace: 'ml-prod', deployment: 'inference' },
  target: (p) => ({ kind: 'Deployment', namespace: p.namespace, name: p.deployment }),
  describe: (p) => `restart deployment ${p.namespace}/${p.deployment} (set ${RESTARTED_AT} on its pod template)`,
  execute: restart,
});

async function restart(p: Params, ctx: ActionContext): Promise<ActionResult> {
  const kube = await kubeClients(ctx, ID);
  const name = `${p.namespace}/${p.deployment}`;
  const deployment = await kube.call(`read deployment ${name}`, () =>
    kube.apps.readNamespacedDeployment({ name: p.deployment, namespace: p.namespace }, kube.options()),
  );
  if (deployment.metadata?.annotations?.[DEPLOYMENT_ANNOTATIONS.restartKey] === ctx.idempotencyKey) {
    const at = deployment.spec?.template.metadata?.annotations?.[RESTARTED_AT] ?? 'unknown';
    return {
      outcome: 'already-done',
      summary: `deployment ${name} was already restarted by this step (${RESTARTED_AT} ${at})`,
      details: { restartedAt: at },
    };
  }
  if (deployment.spec?.paused === true) {
    throw new ActionError('refused', `deployment ${name} is paused: can't restart a paused deployment (resume it first)`);
  }
  const patch = restartPatch(ctx.deps.clock.now(), ctx.idempotencyKey);
  const restartedAt = patch.spec.template?.metadata.annotations[RESTARTED_AT] ?? '';
  await kube.call(`patch deployment ${name}`, () =>
    kube.apps.patchNamespacedDeployment({ name: p.deployment, namespace: p.namespace, body: patch }, kube.options(PATCH.merge)),
  );
  return {
    outcome: 'succeeded',
    summary: `restarted deployment ${name}: ${RESTARTED_AT} ${restartedAt} starts a rolling update`,
    details: { restartedAt },
  };
}
