import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubeConfig,
  type V1Deployment,
  type V1Namespace,
  type V1Pod,
  type V1Role,
  type V1RoleBinding,
  type V1SelfSubjectAccessReview,
} from '@kubernetes/client-node';
import type { ActionDefinition } from '../../../src/actions/action-definition.js';
import { kubernetesRole } from '../../../src/actions/rbac-role.js';
import { randomName } from '../../env/backends.js';
import { kubeConfigFor, restrictedUserName } from '../../env/kube-backend.js';
import { kubeObject } from '../../env/kube-object.js';
import { waitForRollout as waitForDeploymentRollout } from '../../env/rollout-state.js';
import { waitFor } from '../../env/wait-for.js';

/** Admin clients, for arranging and checking what the actions (run as the restricted user) did. */
export interface AdminClients {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly networking: NetworkingV1Api;
  readonly rbac: RbacAuthorizationV1Api;
}

export function admin(): AdminClients {
  const kc = kubeConfigFor('admin');
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
  };
}

/** Namespaces created by {@link newNamespace}; delete them with {@link deleteNamespaces}. */
const created: string[] = [];

export async function newNamespace(prefix = 'act'): Promise<string> {
  const name = randomName(prefix);
  await admin().core.createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name } }) });
  created.push(name);
  return name;
}

export async function deleteNamespaces(): Promise<void> {
  const { core } = admin();
  for (const name of created.splice(0)) await core.deleteNamespace({ name });
}

/**
 * Binds the restricted user a Role built by `kubernetesRole` from exactly these registry actions,
 * and waits until the authorizer grants the first of its rules. The returned `KubeConfig`
 * authenticates as that user: whatever an action needs beyond its declared RBAC fails with 403.
 */
export async function restrictedTo(namespace: string, actions: readonly ActionDefinition[]): Promise<KubeConfig> {
  const { rbac } = admin();
  const role = kubernetesRole(actions, { kind: 'Role', name: 'meshwarden-actions', namespace });
  await rbac.createNamespacedRole({
    namespace,
    body: kubeObject<V1Role>({
      metadata: { name: role.metadata.name, labels: { ...role.metadata.labels } },
      rules: role.rules.map((rule) => ({ apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })),
    }),
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: kubeObject<V1RoleBinding>({
      metadata: { name: 'meshwarden-actions' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: restrictedUserName() }],
    }),
  });
  const restricted = kubeConfigFor('restricted');
  const first = role.rules[0];
  if (first !== undefined) {
    const authz = restricted.makeApiClient(AuthorizationV1Api);
    await waitFor('the RoleBinding to take effect', 30_000, async () => {
      const review = await authz.createSelfSubjectAccessReview({
        body: kubeObject<V1SelfSubjectAccessReview>({
          spec: {
            resourceAttributes: {
              namespace,
              group: first.apiGroups[0] ?? '',
              resource: first.resources[0] ?? '',
              verb: first.verbs[0] ?? 'get',
            },
          },
        }),
      });
      return review.status?.allowed === true;
    });
  }
  return restricted;
}

/** A Deployment of `replicas` pods labelled `app=<name>` (plus `extraLabels`) running `image`. */
export function deploymentManifest(name: string, image: string, replicas: number, extraLabels: Record<string, string> = {}): V1Deployment {
  return kubeObject<V1Deployment>({
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...extraLabels } },
        spec: { containers: [{ name: 'model-server', image }] },
      },
    },
  });
}

/**
 * A fresh namespace (prefix `prefix`) with a Deployment `name` of `replicas` pods, rolled out and
 * Running; returns the namespace and the pods' names.
 */
export async function runningDeployment(prefix: string, name: string, replicas: number): Promise<{ namespace: string; pods: string[] }> {
  const namespace = await newNamespace(prefix);
  await admin().apps.createNamespacedDeployment({ namespace, body: deploymentManifest(name, `registry.local/${name}:1`, replicas) });
  await waitForRollout(namespace, name);
  await waitFor(`${replicas} pods Running`, 90_000, async () => (await runningPods(namespace, `app=${name}`)).length === replicas);
  return { namespace, pods: (await runningPods(namespace, `app=${name}`)).map((p) => p.metadata?.name ?? '') };
}

/** Pods of the namespace matching `labelSelector` that are Running and not terminating. */
export async function runningPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
  const pods = await admin().core.listNamespacedPod({ namespace, labelSelector });
  return pods.items.filter((pod) => pod.status?.phase === 'Running' && pod.metadata?.deletionTimestamp === undefined);
}

/**
 * Waits until the Deployment's rollout is complete, as its status says (what the tests then read,
 * `availableReplicas` among it); see the test environment's `waitForRollout`.
 */
export async function waitForRollout(namespace: string, name: string, timeoutMs = 90_000): Promise<void> {
  await waitForDeploymentRollout(admin().kc, namespace, name, timeoutMs);
}

/** Sets the image of the Deployment's only container (a new revision), and waits for the rollout. */
export async function setImage(namespace: string, name: string, image: string): Promise<void> {
  await admin().apps.patchNamespacedDeployment(
    { name, namespace, body: { spec: { template: { spec: { containers: [{ name: 'model-server', image }] } } } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  await waitForRollout(namespace, name);
}
