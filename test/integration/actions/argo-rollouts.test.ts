/**
 * kubernetes.abort-rollout, kubernetes.undo-rollout and the model rollback's choice of a Rollout,
 * on the test API server with the real Rollout CRD of Argo Rollouts installed
 * (test/fixtures/crds/). There is no Argo Rollouts controller here: each test creates the Rollout
 * and the ReplicaSets of its two revisions the way the controller would (revision annotation,
 * `rollouts-pod-template-hash` label and selector, controller reference to the Rollout), and checks
 * what the actions wrote to the API, not what a controller would make of it.
 */
import { readFileSync } from 'node:fs';
import { ApiextensionsV1Api, CustomObjectsApi, type KubeConfig, type V1ReplicaSet } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findAction } from '../../../src/actions/action-registry.js';
import type { ActionDefinition } from '../../../src/actions/action-definition.js';
import { ROLLOUT, ROLLOUT_ANNOTATIONS, ROLLOUT_HASH_LABEL, ROLLOUT_REVISION_ANNOTATION } from '../../../src/actions/kubernetes/argo-rollouts.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { playbookSchema } from '../../../src/playbook/playbook-spec.js';
import { RunExecutor } from '../../../src/playbook/run-executor.js';
import { MemoryRunStore, type PlaybookRun } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../../../src/playbook/safety-guard.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { kubeRequest } from '../../env/kube-http.js';
import { kubeObject } from '../../env/kube-object.js';
import { waitFor } from '../../env/wait-for.js';
import { actionContext, run, runExpectingFailure } from './action-harness.js';
import { admin, deleteNamespaces, deploymentManifest, newNamespace, restrictedTo, setImage, waitForRollout } from './kube-harness.js';

const ABORT = 'kubernetes.abort-rollout';
const UNDO = 'kubernetes.undo-rollout';
const ROLLBACK = 'kubernetes.rollback-deployment';
const CRD_FILE = 'test/fixtures/crds/argo-rollouts-v1.10.2-rollout-crd.yaml';
const CRD_NAME = 'rollouts.argoproj.io';

function registry(...ids: string[]): ActionDefinition[] {
  return ids.map((id) => {
    const action = findAction(id);
    if (action === undefined) throw new Error(`${id} is not registered`);
    return action;
  });
}

function custom(): CustomObjectsApi {
  return admin().kc.makeApiClient(CustomObjectsApi);
}

interface RolloutView {
  metadata: { uid: string; annotations?: Record<string, string> };
  spec: { template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { image?: string }[] } } };
  status?: { abort?: boolean };
}

async function readRollout(namespace: string, name: string): Promise<RolloutView> {
  return (await custom().getNamespacedCustomObject({ ...ROLLOUT, namespace, name })) as RolloutView;
}

function podTemplate(app: string, image: string, hash?: string): { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; image: string }[] } } {
  return {
    metadata: { labels: { app, ...(hash === undefined ? {} : { [ROLLOUT_HASH_LABEL]: hash }) } },
    spec: { containers: [{ name: 'model-server', image }] },
  };
}

/** A ReplicaSet of one Rollout revision, as the Rollout controller creates it. */
async function createRevision(namespace: string, owner: { name: string; uid: string }, app: string, revision: number, image: string, replicas: number): Promise<void> {
  const hash = `h${revision}x${owner.uid.slice(0, 6)}`;
  await admin().apps.createNamespacedReplicaSet({
    namespace,
    body: kubeObject<V1ReplicaSet>({
      metadata: {
        name: `${owner.name}-${hash}`,
        labels: { app, [ROLLOUT_HASH_LABEL]: hash },
        annotations: { [ROLLOUT_REVISION_ANNOTATION]: String(revision) },
        ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { replicas, selector: { matchLabels: { app, [ROLLOUT_HASH_LABEL]: hash } }, template: podTemplate(app, image, hash) },
    }),
  });
}

/**
 * A canary Rollout whose template is at `images[last]`, with one ReplicaSet per image (revision 1
 * first), the newest scaled to one replica and the older ones to zero.
 */
async function rolloutWithHistory(namespace: string, name: string, images: readonly string[]): Promise<{ uid: string }> {
  const current = images[images.length - 1] ?? 'registry.local/none';
  const created = (await custom().createNamespacedCustomObject({
    ...ROLLOUT,
    namespace,
    body: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name, annotations: { [ROLLOUT_REVISION_ANNOTATION]: String(images.length) } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: podTemplate(name, current),
        strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
      },
    },
  })) as RolloutView;
  const uid = created.metadata.uid;
  for (const [i, image] of images.entries()) await createRevision(namespace, { name, uid }, name, i + 1, image, i === images.length - 1 ? 1 : 0);
  return { uid };
}

function anomalyOn(namespace: string, workload: string): Anomaly {
  const now = Date.now();
  return {
    id: `canary-regression-${now}`, detector: 'model-confidence-collapse', severity: 'high', score: 0.99,
    entity: { key: `workload:${namespace}/${workload}`, kind: 'workload', namespace, name: workload, workload },
    windowStart: now - 60_000, windowEnd: now, evidence: [],
  };
}

/** Runs a two-step playbook (abort, then undo the Rollout named by the entity) through the real executor. */
async function executeRollbackPlaybook(namespace: string, workload: string, kube: KubeConfig, protectedNamespaces: readonly string[] = []): Promise<PlaybookRun> {
  const spec = playbookSchema.parse({
    apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name: 'canary-rollback' },
    spec: {
      trigger: { detectors: ['model-confidence-collapse'], entityKinds: ['workload'] },
      steps: [
        { name: 'abort the canary', action: ABORT, params: { namespace: '{{ entity.namespace }}', rollout: '{{ entity.workload }}' } },
        { name: 'restore the stable template', action: UNDO, params: { namespace: '{{ entity.namespace }}', rollout: '{{ entity.workload }}' } },
      ],
    },
  });
  const store = new MemoryRunStore();
  const executor = new RunExecutor({
    playbooks: new Map([[spec.metadata.name, spec]]),
    guard: new SafetyGuard({ ...DEFAULT_SAFETY_POLICY, protectedNamespaces: [...DEFAULT_SAFETY_POLICY.protectedNamespaces, ...protectedNamespaces] }),
    store,
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
    actionDeps: { kube, clock: systemClock, logger: silentLogger() },
  });
  const anomaly = anomalyOn(namespace, workload);
  const started: PlaybookRun = {
    id: `${spec.metadata.name}|${anomaly.id}`, playbook: spec.metadata.name, incidentId: anomaly.id, anomaly,
    createdAt: anomaly.windowEnd, dryRun: false, state: 'running', next: 0, results: [],
  };
  await executor.start(started);
  const done = await store.get(started.id);
  if (done === undefined) throw new Error('the run was not saved');
  return done;
}

/**
 * Installs the vendored CRD as it is, over plain HTTPS: client-node's typed model of a CRD drops
 * the `x-kubernetes-*` schema extensions when it serialises, and the API server then rejects the
 * int-or-string fields as untyped.
 */
async function installCrd(): Promise<void> {
  const kc = admin().kc;
  const cluster = kc.getCurrentCluster();
  const token = kc.getCurrentUser()?.token;
  if (cluster === null || token === undefined) throw new Error('the admin kubeconfig has no cluster or token');
  const target = { server: cluster.server, token, ca: cluster.caData === undefined ? undefined : Buffer.from(cluster.caData, 'base64').toString('utf8') };
  const response = await kubeRequest(target, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', parse(readFileSync(CRD_FILE, 'utf8')));
  if (response.status !== 201) throw new Error(`creating the Rollout CRD answered ${response.status}: ${JSON.stringify(response.body).slice(0, 500)}`);
}

beforeAll(async () => {
  const extensions = admin().kc.makeApiClient(ApiextensionsV1Api);
  await installCrd();
  await waitFor('the Rollout CRD to be established', 30_000, async () => {
    const crd = await extensions.readCustomResourceDefinition({ name: CRD_NAME });
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
  });
});

afterAll(async () => {
  await admin().kc.makeApiClient(ApiextensionsV1Api).deleteCustomResourceDefinition({ name: CRD_NAME });
});

describe('Argo Rollouts actions through the run executor (restricted to their declared RBAC)', () => {
  afterEach(deleteNamespaces);

  it('aborts the canary and restores the previous revision\'s template without its hash label', async () => {
    const namespace = await newNamespace('rollout');
    await rolloutWithHistory(namespace, 'fraud', ['registry.local/fraud:v1', 'registry.local/fraud:v2']);

    const kube = await restrictedTo(namespace, registry(ABORT, UNDO));
    const done = await executeRollbackPlaybook(namespace, 'fraud', kube);

    expect(done.state).toBe('done');
    expect(done.results.map((r) => [r.step, r.outcome, r.target])).toEqual([
      ['abort the canary', 'succeeded', `Rollout ${namespace}/fraud`],
      ['restore the stable template', 'succeeded', `Rollout ${namespace}/fraud`],
    ]);
    const rollout = await readRollout(namespace, 'fraud');
    expect(rollout.status?.abort).toBe(true);
    expect(rollout.spec.template?.spec?.containers?.[0]?.image).toBe('registry.local/fraud:v1');
    expect(rollout.spec.template?.metadata?.labels).toEqual({ app: 'fraud' });
    expect(rollout.metadata.annotations?.[ROLLOUT_ANNOTATIONS.rolledBackFrom]).toBe('2');
    expect(done.results[1]?.details).toMatchObject({ kind: 'Rollout', fromRevision: 2, toRevision: 1, images: 'registry.local/fraud:v1' });

    // The same steps again (a retry after a crash) change nothing more.
    const again = await run(ABORT, { namespace, rollout: 'fraud' }, actionContext({ kube }));
    const undoAgain = await run(UNDO, { namespace, rollout: 'fraud' }, actionContext({ kube }, { idempotencyKey: `canary-rollback/${done.incidentId}/1` }));
    expect([again.outcome, undoAgain.outcome]).toEqual(['already-done', 'already-done']);
  });

  it('refuses a Rollout in a protected namespace: nothing is written', async () => {
    const namespace = await newNamespace('rollout');
    await rolloutWithHistory(namespace, 'fraud', ['registry.local/fraud:v1', 'registry.local/fraud:v2']);
    const before = await readRollout(namespace, 'fraud');

    const kube = await restrictedTo(namespace, registry(ABORT, UNDO));
    const done = await executeRollbackPlaybook(namespace, 'fraud', kube, [namespace]);

    // The refused abort stops the run (onError defaults to abort): the undo never runs.
    expect(done.results.map((r) => r.outcome)).toEqual(['refused', 'skipped']);
    expect(done.results[0]?.description).toContain(namespace);
    const after = await readRollout(namespace, 'fraud');
    expect(after).toEqual(before);
  });

  it('fails without writing when the previous revision is missing, as kubectl argo rollouts undo does', async () => {
    const namespace = await newNamespace('rollout');
    await rolloutWithHistory(namespace, 'fraud', ['registry.local/fraud:v2']);
    const kube = await restrictedTo(namespace, registry(UNDO));

    const none = await runExpectingFailure(UNDO, { namespace, rollout: 'fraud' }, actionContext({ kube }));
    const named = await runExpectingFailure(UNDO, { namespace, rollout: 'fraud', toRevision: 7 }, actionContext({ kube }));

    expect([none.reason, named.reason]).toEqual(['client', 'client']);
    expect(none.message).toContain('no revision found for rollout "fraud"');
    expect(named.message).toContain('unable to find specified revision 7 in history');
    expect((await readRollout(namespace, 'fraud')).spec.template?.spec?.containers?.[0]?.image).toBe('registry.local/fraud:v2');
  });
});

describe('kubernetes.rollback-deployment picks the Argo Rollout that owns the model\'s pods', () => {
  afterEach(deleteNamespaces);

  it('undoes the Rollout whose workloadRef names the Deployment, by patching the Deployment\'s template', async () => {
    const namespace = await newNamespace('rollout');
    // The Argo migration layout: the Deployment scaled to zero, the Rollout running its pods.
    await admin().apps.createNamespacedDeployment({ namespace, body: deploymentManifest('fraud-predictor', 'registry.local/fraud:v2', 0) });
    const created = (await custom().createNamespacedCustomObject({
      ...ROLLOUT,
      namespace,
      body: {
        apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout',
        metadata: { name: 'fraud-canary', annotations: { [ROLLOUT_REVISION_ANNOTATION]: '2' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'fraud-predictor' } },
          workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fraud-predictor' },
          strategy: { canary: { steps: [{ setWeight: 20 }] } },
        },
      },
    })) as RolloutView;
    const owner = { name: 'fraud-canary', uid: created.metadata.uid };
    await createRevision(namespace, owner, 'fraud-predictor', 1, 'registry.local/fraud:v1', 0);
    await createRevision(namespace, owner, 'fraud-predictor', 2, 'registry.local/fraud:v2', 1);
    const kube = await restrictedTo(namespace, registry(ROLLBACK));

    const result = await run(ROLLBACK, { namespace, deployment: 'fraud-predictor' }, actionContext({ kube }));

    expect(result.outcome).toBe('succeeded');
    expect(result.summary).toContain(`rollout ${namespace}/fraud-canary, which owns the pods of deployment ${namespace}/fraud-predictor`);
    expect(result.details).toMatchObject({ kind: 'Rollout', fromRevision: 2, toRevision: 1, workload: 'Deployment/fraud-predictor' });
    const deployment = await admin().apps.readNamespacedDeployment({ namespace, name: 'fraud-predictor' });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('registry.local/fraud:v1');
    expect(deployment.spec?.template.metadata?.labels).toEqual({ app: 'fraud-predictor' });
  });

  it('rolls a plain Deployment back as before when the Rollouts of the namespace do not own its pods', async () => {
    const namespace = await newNamespace('rollout');
    await rolloutWithHistory(namespace, 'other', ['registry.local/other:v1', 'registry.local/other:v2']);
    await admin().apps.createNamespacedDeployment({ namespace, body: deploymentManifest('fraud-predictor', 'registry.local/fraud:v1', 1) });
    await waitForRollout(namespace, 'fraud-predictor');
    await setImage(namespace, 'fraud-predictor', 'registry.local/fraud:v2');
    const kube = await restrictedTo(namespace, registry(ROLLBACK));

    const result = await run(ROLLBACK, { namespace, deployment: 'fraud-predictor' }, actionContext({ kube }));

    expect(result.details).toMatchObject({ kind: 'Deployment', fromRevision: 2, toRevision: 1 });
    expect((await admin().apps.readNamespacedDeployment({ namespace, name: 'fraud-predictor' })).spec?.template.spec?.containers[0]?.image).toBe('registry.local/fraud:v1');
    const other = await readRollout(namespace, 'other');
    expect(other.spec.template?.spec?.containers?.[0]?.image).toBe('registry.local/other:v2');
    expect(other.metadata.annotations?.[ROLLOUT_ANNOTATIONS.rollbackKey]).toBeUndefined();
  });
});
