import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findAction } from '../../../src/actions/action-registry.js';
import { DEPLOYMENT_ANNOTATIONS, RESTARTED_AT } from '../../../src/actions/kubernetes/deployment-patches.js';
import { REVISION_ANNOTATION } from '../../../src/actions/kubernetes/rollback-plan.js';
import { kubeObject } from '../../env/kube-object.js';
import { waitFor } from '../../env/wait-for.js';
import { actionContext, elapsed, reportTiming, run, runExpectingFailure } from './action-harness.js';
import { admin, deleteNamespaces, deploymentManifest, newNamespace, restrictedTo, runningPods, setImage, waitForRollout } from './kube-harness.js';

const ROLLBACK = 'kubernetes.rollback-deployment';
const SCALE = 'kubernetes.scale';
const RESTART = 'kubernetes.restart-deployment';
const DELETE = 'kubernetes.delete-pod';

function registry(id: string): NonNullable<ReturnType<typeof findAction>>[] {
  const action = findAction(id);
  if (action === undefined) throw new Error(`${id} is not registered`);
  return [action];
}

async function createDeployment(namespace: string, name: string, image: string, replicas = 2): Promise<void> {
  await admin().apps.createNamespacedDeployment({ namespace, body: deploymentManifest(name, image, replicas) });
  await waitForRollout(namespace, name);
}

async function readDeployment(namespace: string, name: string): ReturnType<ReturnType<typeof admin>['apps']['readNamespacedDeployment']> {
  return admin().apps.readNamespacedDeployment({ name, namespace });
}

function imageOf(deployment: Awaited<ReturnType<typeof readDeployment>>): string | undefined {
  return deployment.spec?.template.spec?.containers[0]?.image;
}

async function runningImages(namespace: string, app: string): Promise<string[]> {
  return (await runningPods(namespace, `app=${app}`)).map((pod) => pod.spec?.containers[0]?.image ?? '').sort();
}

describe('kubernetes.rollback-deployment (restricted to its declared RBAC)', () => {
  afterEach(deleteNamespaces);

  it('rolls back to the previous revision like kubectl rollout undo, records the revision it left, and undoes', async () => {
    const namespace = await newNamespace('rollback');
    await createDeployment(namespace, 'model', 'registry.local/model:1.0');
    await setImage(namespace, 'model', 'registry.local/model:2.0');
    await setImage(namespace, 'model', 'registry.local/model:3.0');
    const kube = await restrictedTo(namespace, registry(ROLLBACK));
    const ctx = actionContext({ kube });

    const started = performance.now();
    const result = await run(ROLLBACK, { namespace, deployment: 'model' }, ctx);
    const callMs = elapsed(started);

    expect(result.outcome).toBe('succeeded');
    expect(result.details).toMatchObject({ kind: 'Deployment', fromRevision: 3, toRevision: 2, images: 'registry.local/model:2.0' });
    expect(result.undo).toEqual({ action: ROLLBACK, params: { namespace, deployment: 'model', toRevision: 3 } });
    const patched = await readDeployment(namespace, 'model');
    expect(imageOf(patched)).toBe('registry.local/model:2.0');
    expect(patched.spec?.template.metadata?.labels).toEqual({ app: 'model' });
    expect(patched.metadata?.annotations?.[DEPLOYMENT_ANNOTATIONS.rolledBackFrom]).toBe('3');
    expect(patched.metadata?.annotations?.[DEPLOYMENT_ANNOTATIONS.rollbackKey]).toBe(ctx.idempotencyKey);
    // The controller reuses revision 2's ReplicaSet and numbers it 4.
    await waitFor('revision 4', 30_000, async () => (await readDeployment(namespace, 'model')).metadata?.annotations?.[REVISION_ANNOTATION] === '4');
    await waitForRollout(namespace, 'model');
    await waitFor('only 2.0 pods Running', 60_000, async () => (await runningImages(namespace, 'model')).join() === 'registry.local/model:2.0,registry.local/model:2.0');
    reportTiming(ROLLBACK, 'call', callMs);
    reportTiming(ROLLBACK, 'rollout complete on the old template', elapsed(started));
    const replicaSets = (await admin().apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=model' })).items;
    const history = replicaSets
      .map((rs) => [rs.metadata?.annotations?.[REVISION_ANNOTATION], rs.spec?.template?.spec?.containers[0]?.image])
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(history).toEqual([
      ['1', 'registry.local/model:1.0'],
      ['3', 'registry.local/model:3.0'],
      ['4', 'registry.local/model:2.0'],
    ]);

    const before = (await readDeployment(namespace, 'model')).metadata?.resourceVersion;
    const again = await run(ROLLBACK, { namespace, deployment: 'model' }, actionContext({ kube }, { idempotencyKey: ctx.idempotencyKey }));
    expect(again.outcome).toBe('already-done');
    expect(again.undo).toEqual(result.undo);
    expect((await readDeployment(namespace, 'model')).metadata?.resourceVersion).toBe(before);

    const undone = await run(ROLLBACK, result.undo?.params, actionContext({ kube }));
    expect(undone.details).toMatchObject({ fromRevision: 4, toRevision: 3 });
    expect(imageOf(await readDeployment(namespace, 'model'))).toBe('registry.local/model:3.0');
    await waitForRollout(namespace, 'model');
  });

  it('skips the rollback when the current template already matches the revision', async () => {
    const namespace = await newNamespace('rollback');
    await createDeployment(namespace, 'model', 'registry.local/model:1.0');
    await setImage(namespace, 'model', 'registry.local/model:2.0');
    const kube = await restrictedTo(namespace, registry(ROLLBACK));
    const generation = (await readDeployment(namespace, 'model')).metadata?.generation;

    const result = await run(ROLLBACK, { namespace, deployment: 'model', toRevision: 2 }, actionContext({ kube }));

    expect(result.outcome).toBe('already-done');
    expect(result.summary).toContain('current template already matches revision 2');
    expect(result.undo).toBeUndefined();
    expect((await readDeployment(namespace, 'model')).metadata?.generation).toBe(generation);
  });

  it('refuses a paused Deployment and leaves it as it was', async () => {
    const namespace = await newNamespace('rollback');
    await createDeployment(namespace, 'model', 'registry.local/model:1.0');
    await setImage(namespace, 'model', 'registry.local/model:2.0');
    await admin().apps.patchNamespacedDeployment(
      { name: 'model', namespace, body: { spec: { paused: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const kube = await restrictedTo(namespace, registry(ROLLBACK));

    const error = await runExpectingFailure(ROLLBACK, { namespace, deployment: 'model' }, actionContext({ kube }));

    expect(error.reason).toBe('refused');
    expect(error.message).toContain('you cannot rollback a paused deployment');
    expect(imageOf(await readDeployment(namespace, 'model'))).toBe('registry.local/model:2.0');
  });

  it('fails with reason client when there is no earlier revision or no such revision', async () => {
    const namespace = await newNamespace('rollback');
    await createDeployment(namespace, 'model', 'registry.local/model:1.0');
    const kube = await restrictedTo(namespace, registry(ROLLBACK));

    const none = await runExpectingFailure(ROLLBACK, { namespace, deployment: 'model' }, actionContext({ kube }));
    const missing = await runExpectingFailure(ROLLBACK, { namespace, deployment: 'model', toRevision: 7 }, actionContext({ kube }));

    expect([none.reason, missing.reason]).toEqual(['client', 'client']);
    expect(none.message).toContain('no rollout history found for deployment "model"');
    expect(missing.message).toContain('unable to find specified revision 7 in history');
  });
});

describe('kubernetes.rollback-deployment on a KServe InferenceService', () => {
  const crdName = 'inferenceservices.serving.kserve.io';

  beforeAll(async () => {
    // A minimal InferenceService CRD: the group, version and names KServe registers, any spec.
    const extensions = admin().kc.makeApiClient(ApiextensionsV1Api);
    await extensions.createCustomResourceDefinition({
      body: kubeObject<V1CustomResourceDefinition>({
        metadata: { name: crdName },
        spec: {
          group: 'serving.kserve.io',
          scope: 'Namespaced',
          names: { kind: 'InferenceService', plural: 'inferenceservices', singular: 'inferenceservice', listKind: 'InferenceServiceList', shortNames: ['isvc'] },
          versions: [{ name: 'v1beta1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
        },
      }),
    });
    await waitFor('the InferenceService CRD to be established', 30_000, async () => {
      const crd = await extensions.readCustomResourceDefinition({ name: crdName });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
    });
  });

  afterAll(async () => {
    await admin().kc.makeApiClient(ApiextensionsV1Api).deleteCustomResourceDefinition({ name: crdName });
  });

  afterEach(deleteNamespaces);

  async function createInferenceService(namespace: string, name: string, annotations: Record<string, string> = {}): Promise<void> {
    await admin().kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'serving.kserve.io',
      version: 'v1beta1',
      namespace,
      plural: 'inferenceservices',
      body: {
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: { name, annotations },
        spec: { predictor: { canaryTrafficPercent: 20, model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/fraud/v3' } } },
        status: { components: { predictor: { latestRolledoutRevision: `${name}-predictor-00002`, previousRolledoutRevision: `${name}-predictor-00001` } } },
      },
    });
  }

  async function readInferenceService(namespace: string, name: string): Promise<{ annotations: Record<string, string>; canary: unknown }> {
    const isvc: unknown = await admin().kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'serving.kserve.io', version: 'v1beta1', namespace, plural: 'inferenceservices', name,
    });
    const typed = isvc as { metadata?: { annotations?: Record<string, string> }; spec?: { predictor?: { canaryTrafficPercent?: unknown } } };
    return { annotations: typed.metadata?.annotations ?? {}, canary: typed.spec?.predictor?.canaryTrafficPercent };
  }

  it('sets canaryTrafficPercent to 0 on the InferenceService instead of touching a Deployment', async () => {
    const namespace = await newNamespace('kserve');
    await createInferenceService(namespace, 'fraud');
    await createDeployment(namespace, 'fraud', 'registry.local/fraud:1.0', 1);
    await setImage(namespace, 'fraud', 'registry.local/fraud:2.0');
    const generation = (await readDeployment(namespace, 'fraud')).metadata?.generation;
    const kube = await restrictedTo(namespace, registry(ROLLBACK));
    const ctx = actionContext({ kube });

    const started = performance.now();
    const result = await run(ROLLBACK, { namespace, deployment: 'fraud' }, ctx);
    reportTiming(ROLLBACK, 'InferenceService canary to 0 (call)', elapsed(started));

    expect(result.outcome).toBe('succeeded');
    expect(result.details).toMatchObject({
      kind: 'InferenceService',
      previousCanaryTrafficPercent: 20,
      canaryTrafficPercent: 0,
      previousRolledoutRevision: 'fraud-predictor-00001',
    });
    const isvc = await readInferenceService(namespace, 'fraud');
    expect(isvc.canary).toBe(0);
    expect(isvc.annotations[DEPLOYMENT_ANNOTATIONS.rollbackKey]).toBe(ctx.idempotencyKey);
    expect((await readDeployment(namespace, 'fraud')).metadata?.generation).toBe(generation);

    const again = await run(ROLLBACK, { namespace, deployment: 'fraud' }, actionContext({ kube }, { idempotencyKey: ctx.idempotencyKey }));
    expect(again.outcome).toBe('already-done');
  });

  it('rolls the Deployment back when the InferenceService runs in raw deployment mode', async () => {
    const namespace = await newNamespace('kserve');
    await createInferenceService(namespace, 'fraud', { 'serving.kserve.io/deploymentMode': 'RawDeployment' });
    await createDeployment(namespace, 'fraud', 'registry.local/fraud:1.0', 1);
    await setImage(namespace, 'fraud', 'registry.local/fraud:2.0');
    const kube = await restrictedTo(namespace, registry(ROLLBACK));

    const result = await run(ROLLBACK, { namespace, deployment: 'fraud' }, actionContext({ kube }));

    expect(result.details).toMatchObject({ kind: 'Deployment', fromRevision: 2, toRevision: 1 });
    expect(imageOf(await readDeployment(namespace, 'fraud'))).toBe('registry.local/fraud:1.0');
    expect((await readInferenceService(namespace, 'fraud')).canary).toBe(20);
  });
});

describe('kubernetes.scale, kubernetes.restart-deployment and kubernetes.delete-pod (restricted to their declared RBAC)', () => {
  afterEach(deleteNamespaces);

  it('scales to zero, records the previous count, and the undo restores it', async () => {
    const namespace = await newNamespace('scale');
    await createDeployment(namespace, 'model', 'registry.local/model:1.0', 2);
    const kube = await restrictedTo(namespace, registry(SCALE));
    const ctx = actionContext({ kube });

    const started = performance.now();
    const result = await run(SCALE, { namespace, deployment: 'model', replicas: 0 }, ctx);
    const callMs = elapsed(started);

    expect(result.outcome).toBe('succeeded');
    expect(result.details).toEqual({ previousReplicas: 2, replicas: 0 });
    expect(result.undo).toEqual({ action: SCALE, params: { namespace, deployment: 'model', replicas: 2 } });
    await waitFor('no pod left', 60_000, async () => (await admin().core.listNamespacedPod({ namespace, labelSelector: 'app=model' })).items.length === 0);
    reportTiming(SCALE, 'call', callMs);
    reportTiming(SCALE, 'to 0: every pod gone', elapsed(started));

    const again = await run(SCALE, { namespace, deployment: 'model', replicas: 0 }, actionContext({ kube }, { idempotencyKey: ctx.idempotencyKey }));
    expect(again.outcome).toBe('already-done');
    expect(again.undo).toEqual(result.undo);

    const undoStarted = performance.now();
    const undone = await run(SCALE, result.undo?.params, actionContext({ kube }));
    expect(undone.details).toEqual({ previousReplicas: 0, replicas: 2 });
    await waitFor('2 pods Running again', 60_000, async () => (await runningPods(namespace, 'app=model')).length === 2);
    reportTiming(SCALE, 'undo: 2 pods Running', elapsed(undoStarted));
  });

  it('restarts a Deployment by setting restartedAt on its pod template, replacing every pod', async () => {
    const namespace = await newNamespace('restart');
    await createDeployment(namespace, 'model', 'registry.local/model:1.0', 2);
    const oldPods = (await runningPods(namespace, 'app=model')).map((pod) => pod.metadata?.uid);
    const kube = await restrictedTo(namespace, registry(RESTART));
    const ctx = actionContext({ kube });

    const started = performance.now();
    const result = await run(RESTART, { namespace, deployment: 'model' }, ctx);
    const callMs = elapsed(started);

    expect(result.outcome).toBe('succeeded');
    const deployment = await readDeployment(namespace, 'model');
    const restartedAt = deployment.spec?.template.metadata?.annotations?.[RESTARTED_AT] ?? '';
    expect(restartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(restartedAt) - Date.now())).toBeLessThan(60_000);
    expect(result.details).toEqual({ restartedAt });
    await waitForRollout(namespace, 'model');
    await waitFor('every pod replaced', 60_000, async () => {
      const now = (await runningPods(namespace, 'app=model')).map((pod) => pod.metadata?.uid);
      return now.length === 2 && now.every((uid) => !oldPods.includes(uid));
    });
    reportTiming(RESTART, 'call', callMs);
    reportTiming(RESTART, 'every pod replaced', elapsed(started));

    const generation = (await readDeployment(namespace, 'model')).metadata?.generation;
    const again = await run(RESTART, { namespace, deployment: 'model' }, actionContext({ kube }, { idempotencyKey: ctx.idempotencyKey }));
    expect(again.outcome).toBe('already-done');
    expect((await readDeployment(namespace, 'model')).metadata?.generation).toBe(generation);
  });

  it('deletes one pod, whose ReplicaSet replaces it; a retry finds it gone', async () => {
    const namespace = await newNamespace('delete');
    await createDeployment(namespace, 'model', 'registry.local/model:1.0', 2);
    const [victim, sibling] = await runningPods(namespace, 'app=model');
    const victimName = victim?.metadata?.name ?? '';
    const kube = await restrictedTo(namespace, registry(DELETE));
    const ctx = actionContext({ kube });

    const started = performance.now();
    const result = await run(DELETE, { namespace, pod: victimName, gracePeriodSeconds: 0 }, ctx);
    const callMs = elapsed(started);

    expect(result.outcome).toBe('succeeded');
    expect(result.details).toMatchObject({ uid: victim?.metadata?.uid, gracePeriodSeconds: 0 });
    expect(String(result.details['controller'])).toMatch(/^ReplicaSet\/model-/);
    await waitFor('a replacement Running', 60_000, async () => {
      const names = (await runningPods(namespace, 'app=model')).map((pod) => pod.metadata?.name);
      return names.length === 2 && !names.includes(victimName) && names.includes(sibling?.metadata?.name);
    });
    reportTiming(DELETE, 'call', callMs);
    reportTiming(DELETE, 'replacement Running', elapsed(started));

    const again = await run(DELETE, { namespace, pod: victimName }, actionContext({ kube }, { idempotencyKey: ctx.idempotencyKey }));
    expect(again.outcome).toBe('already-done');
  });

  it('refuses to restart a paused Deployment', async () => {
    const namespace = await newNamespace('restart');
    await createDeployment(namespace, 'model', 'registry.local/model:1.0', 1);
    await admin().apps.patchNamespacedDeployment(
      { name: 'model', namespace, body: { spec: { paused: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const kube = await restrictedTo(namespace, registry(RESTART));

    const error = await runExpectingFailure(RESTART, { namespace, deployment: 'model' }, actionContext({ kube }));

    expect(error.reason).toBe('refused');
    expect((await readDeployment(namespace, 'model')).spec?.template.metadata?.annotations?.[RESTARTED_AT]).toBeUndefined();
  });
});
