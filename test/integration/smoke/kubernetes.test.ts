import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  VersionApi,
  type V1Deployment,
  type V1Namespace,
  type V1Pod,
  type V1Role,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { pinnedVersions, randomName } from '../../env/backends.js';
import { fakeNodeName, kubeConfigFor, restrictedUserName } from '../../env/kube-backend.js';
import { kubeObject } from '../../env/kube-object.js';
import { REVISION, waitForRollout } from '../../env/rollout-state.js';
import { waitFor } from '../../env/wait-for.js';

function admin(): { core: CoreV1Api; apps: AppsV1Api; rbac: RbacAuthorizationV1Api } {
  const kc = kubeConfigFor('admin');
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), rbac: kc.makeApiClient(RbacAuthorizationV1Api) };
}

async function statusOf(request: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await request;
    return 'ok';
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

function deployment(name: string, image: string): V1Deployment {
  return kubeObject<V1Deployment>({
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'model-server', image }] },
      },
    },
  });
}

async function runningPods(core: CoreV1Api, namespace: string, app: string): Promise<{ name: string; node: string | undefined }[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return pods.items
    .filter((pod) => pod.status?.phase === 'Running' && pod.metadata?.deletionTimestamp === undefined)
    .map((pod) => ({ name: pod.metadata?.name ?? '', node: pod.spec?.nodeName }));
}

describe('Kubernetes test backend (@kubernetes/client-node)', () => {
  const namespaces: string[] = [];
  afterEach(async () => {
    const { core } = admin();
    for (const name of namespaces.splice(0)) await core.deleteNamespace({ name });
  });

  async function newNamespace(): Promise<string> {
    const name = randomName('smoke');
    await admin().core.createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name } }) });
    namespaces.push(name);
    return name;
  }

  it('serves the pinned Kubernetes version', async () => {
    const info = await kubeConfigFor('admin').makeApiClient(VersionApi).getCode();
    expect(info.gitVersion).toBe(pinnedVersions().kubernetes);
  });

  it('keeps the fake node alive with a node Lease that kwok renews', async () => {
    // Without a Lease, kwok updates the node only every 10-20 minutes: the node lifecycle controller
    // then declares it NotReady mid-run and marks every pod on it NotReady for good.
    const leases = kubeConfigFor('admin').makeApiClient(CoordinationV1Api);
    const renewed = async (): Promise<number> => {
      const lease = await leases.readNamespacedLease({ name: fakeNodeName(), namespace: 'kube-node-lease' });
      // kwok holds it under its own identity (its host's name).
      expect(lease.spec?.holderIdentity).toBeTruthy();
      return new Date(lease.spec?.renewTime ?? 0).getTime();
    };
    let first = 0;
    await waitFor('the fake node\'s Lease', 30_000, async () => {
      first = await renewed();
      return true;
    });
    // Renewed every 10 s (a quarter of its 40 s duration).
    await waitFor('the fake node\'s Lease to be renewed', 30_000, async () => (await renewed()) > first);
  });

  it('runs a Deployment on the fake node and keeps one ReplicaSet per revision after a patch', async () => {
    const { core, apps } = admin();
    const namespace = await newNamespace();
    const name = randomName('model');
    await apps.createNamespacedDeployment({ namespace, body: deployment(name, 'registry.local/model:1.0') });

    await waitFor('2 pods Running', 90_000, async () => (await runningPods(core, namespace, name)).length === 2);
    expect((await runningPods(core, namespace, name)).map((pod) => pod.node)).toEqual([fakeNodeName(), fakeNodeName()]);

    await apps.patchNamespacedDeployment(
      { name, namespace, body: { spec: { template: { spec: { containers: [{ name: 'model-server', image: 'registry.local/model:1.1' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await waitForRollout(kubeConfigFor('admin'), namespace, name);

    const history = (await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${name}` })).items
      .map((rs) => ({
        revision: rs.metadata?.annotations?.[REVISION],
        image: rs.spec?.template?.spec?.containers[0]?.image,
        replicas: rs.spec?.replicas,
        owner: rs.metadata?.ownerReferences?.[0]?.name,
      }))
      .sort((a, b) => Number(a.revision) - Number(b.revision));
    expect(history).toEqual([
      { revision: '1', image: 'registry.local/model:1.0', replicas: 0, owner: name },
      { revision: '2', image: 'registry.local/model:1.1', replicas: 2, owner: name },
    ]);
  });

  it('replaces a deleted pod with a new Running one', async () => {
    const { core, apps } = admin();
    const namespace = await newNamespace();
    const name = randomName('model');
    await apps.createNamespacedDeployment({ namespace, body: deployment(name, 'registry.local/model:1.0') });
    await waitFor('2 pods Running', 90_000, async () => (await runningPods(core, namespace, name)).length === 2);
    const before = await runningPods(core, namespace, name);
    const victim = before[0]?.name ?? '';

    await core.deleteNamespacedPod({ name: victim, namespace });

    await waitFor('a replacement pod Running', 90_000, async () => {
      const now = (await runningPods(core, namespace, name)).map((pod) => pod.name);
      return now.length === 2 && !now.includes(victim);
    });
  });

  it('refuses the restricted user everything RBAC does not grant it', async () => {
    const { core, rbac } = admin();
    const namespace = await newNamespace();
    const restricted = kubeConfigFor('restricted');
    const restrictedCore = restricted.makeApiClient(CoreV1Api);

    expect(await statusOf(restrictedCore.listNamespacedPod({ namespace }))).toBe(403);

    await rbac.createNamespacedRole({
      namespace,
      body: kubeObject<V1Role>({
        metadata: { name: 'pod-reader' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
      }),
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: kubeObject<V1RoleBinding>({
        metadata: { name: 'pod-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: restrictedUserName() }],
      }),
    });
    await core.createNamespacedPod({
      namespace,
      body: kubeObject<V1Pod>({ metadata: { name: 'target' }, spec: { containers: [{ name: 'c', image: 'registry.local/model:1.0' }] } }),
    });

    await waitFor('the RoleBinding to take effect', 30_000, async () => (await statusOf(restrictedCore.listNamespacedPod({ namespace }))) === 'ok');
    expect(await statusOf(restrictedCore.deleteNamespacedPod({ name: 'target', namespace }))).toBe(403);
    expect(await statusOf(restricted.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace }))).toBe(403);
    expect(await statusOf(restrictedCore.listNamespacedPod({ namespace: 'default' }))).toBe(403);
  });
});
