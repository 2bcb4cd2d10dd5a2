import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  StorageV1Api,
  type AuthenticationV1TokenRequest,
  type V1Namespace,
  type V1PersistentVolume,
  type V1StorageClass,
  type V1SubjectAccessReview,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { helmBinary, randomName, testEnv, notStarted } from '../../env/backends.js';
import { kubeConfigFor } from '../../env/kube-backend.js';
import { rolloutDiagnosis } from '../../env/rollout-state.js';
import { buildKubeConfig } from '../../env/kube-config.js';
import { kubeConfigFile } from '../../env/kube-config-file.js';
import { kubeObject } from '../../env/kube-object.js';
import { defaultExpectedGrants, expectedActionIds, parseGrant, shippedPlaybooks, type Grant } from '../../unit/helm/expected-rbac.js';
import { CHART_DIR, REPO_ROOT } from '../../unit/helm/helm-chart.js';

const run = promisify(execFile);

/** The verbs RBAC knows for ordinary resources. */
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;

/** Things the engine must never be able to do, whatever the playbooks say. */
const NEVER: readonly Grant[] = [
  { group: '', resource: 'secrets', verb: 'get' },
  { group: '', resource: 'secrets', verb: 'list' },
  { group: '', resource: 'configmaps', verb: 'get' },
  { group: '', resource: 'pods', verb: 'delete' },
  { group: '', resource: 'pods', verb: 'create' },
  { group: '', resource: 'pods/exec', verb: 'create' },
  { group: '', resource: 'serviceaccounts/token', verb: 'create' },
  { group: 'apps', resource: 'deployments', verb: 'delete' },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'create' },
  { group: 'rbac.authorization.k8s.io', resource: 'rolebindings', verb: 'create' },
];

interface Release {
  readonly name: string;
  readonly namespace: string;
  /** What `helm install` printed (the NOTES). */
  readonly output: string;
  /** The ServiceAccount the chart created, as RBAC names it. */
  readonly user: string;
}

describe('helm chart installed on the test API server', () => {
  let work = '';
  let kubeconfig = '';
  const releases: Release[] = [];
  const namespaces: string[] = [];
  const admin = kubeConfigFor('admin');
  const core = admin.makeApiClient(CoreV1Api);
  const apps = admin.makeApiClient(AppsV1Api);
  const authz = admin.makeApiClient(AuthorizationV1Api);

  async function helm(args: readonly string[]): Promise<string> {
    const { stdout } = await run(helmBinary(), [...args, '--kubeconfig', kubeconfig], {
      env: { ...process.env, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  async function createNamespace(prefix: string): Promise<string> {
    const name = randomName(prefix);
    await core.createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name } }) });
    namespaces.push(name);
    return name;
  }

  /** Cluster-scoped objects a test created (storage classes, volumes), deleted at the end. */
  const clusterObjects: (() => Promise<unknown>)[] = [];

  async function install(values: Readonly<Record<string, unknown>>): Promise<Release> {
    const namespace = await createNamespace('mw-helm');
    const name = randomName('mw');
    const valuesFile = join(work, `${name}.yaml`);
    await writeFile(valuesFile, stringify(values));
    // Helm gives up before the test does, so that a stalled rollout says what stands in its way.
    const output = await helm(['install', name, CHART_DIR, '--namespace', namespace, '--values', valuesFile, '--wait', '--timeout', '90s']).catch(async (error: unknown) => {
      throw new Error(`helm install ${name}: ${error instanceof Error ? error.message : String(error)}; ${await rolloutDiagnosis(admin, namespace, `${name}-meshwarden`)}`);
    });
    const release = { name, namespace, output, user: `system:serviceaccount:${namespace}:${name}-meshwarden` };
    releases.push(release);
    return release;
  }

  async function allowed(release: Release, grant: Grant, namespace: string): Promise<boolean> {
    const [resource = '', subresource] = grant.resource.split('/');
    const review = await authz.createSubjectAccessReview({
      body: kubeObject<V1SubjectAccessReview>({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: release.user,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${release.namespace}`, 'system:authenticated'],
          resourceAttributes: { namespace, verb: grant.verb, group: grant.group, resource, ...(subresource === undefined ? {} : { subresource }) },
        },
      }),
    });
    return review.status?.allowed === true;
  }

  /** Every grant the release has and has not, checked in `namespace`, as readable lines. */
  async function decisions(release: Release, grants: readonly Grant[], namespace: string): Promise<string[]> {
    return Promise.all(grants.map(async (g) => `${(await allowed(release, g, namespace)) ? 'allow' : 'deny'} ${g.verb} ${g.group || 'core'}/${g.resource}`));
  }

  /** For every resource the expected grants touch: each RBAC verb, expected allowed or denied. */
  function verbMatrix(expected: readonly Grant[]): { grants: Grant[]; lines: string[] } {
    const resources = [...new Set(expected.map((g) => `${g.group}|${g.resource}`))].sort();
    const grants: Grant[] = [];
    const lines: string[] = [];
    for (const key of resources) {
      const [group = '', resource = ''] = key.split('|');
      for (const verb of VERBS) {
        grants.push({ group, resource, verb });
        const yes = expected.some((g) => g.group === group && g.resource === resource && g.verb === verb);
        lines.push(`${yes ? 'allow' : 'deny'} ${verb} ${group || 'core'}/${resource}`);
      }
    }
    return { grants, lines };
  }

  beforeAll(async () => {
    const kube = testEnv().kubernetes;
    if (kube === undefined) throw notStarted('kubernetes');
    work = await mkdtemp(join(tmpdir(), 'meshwarden-helm-'));
    kubeconfig = join(work, 'kubeconfig.yaml');
    await writeFile(kubeconfig, kubeConfigFile({ server: kube.server, caData: kube.caData, user: 'meshwarden-admin', token: kube.adminToken }), { mode: 0o600 });
  });

  afterAll(async () => {
    for (const release of releases.splice(0)) {
      await helm(['uninstall', release.name, '--namespace', release.namespace, '--wait', '--timeout', '60s']).catch((error: unknown) => {
        console.warn(`uninstall ${release.name}: ${String(error)}`);
      });
    }
    await Promise.all(namespaces.splice(0).map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
    await Promise.all(clusterObjects.splice(0).map((remove) => remove().catch(() => undefined)));
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  describe('with the default values (ClusterRole)', () => {
    let release: Release | undefined;
    const current = (): Release => {
      if (release === undefined) throw new Error('the release was not installed');
      return release;
    };

    beforeAll(async () => {
      release = await install({});
    });

    it('installs, its Deployment becomes available, and the notes name the actions the permissions come from', async () => {
      const deployment = await apps.readNamespacedDeployment({ name: `${current().name}-meshwarden`, namespace: current().namespace });
      expect(deployment.status?.availableReplicas).toBe(1);
      const status = await helm(['status', current().name, '--namespace', current().namespace, '--output', 'json']);
      expect(status).toContain('"status":"deployed"');
      expect(current().output).toContain(`derived from the actions the playbooks use:\n  ${expectedActionIds({ actions: 'playbooks', includeInverses: true, extraActions: [] }, shippedPlaybooks()).join(', ')}`);
    });

    it("allows every verb the shipped playbooks' actions (and their inverses) declare, in any namespace, and no other verb on those resources", async () => {
      const expected = defaultExpectedGrants().map(parseGrant);
      const matrix = verbMatrix(expected);
      expect(matrix.lines.filter((line) => line.startsWith('allow')).length).toBe(expected.length);
      const elsewhere = randomName('anywhere');
      expect(await decisions(current(), matrix.grants, elsewhere)).toEqual(matrix.lines);
    });

    it('denies reading secrets and config maps, deleting deployments and pods, exec, tokens and RBAC changes', async () => {
      expect(await decisions(current(), NEVER, current().namespace)).toEqual(NEVER.map((g) => `deny ${g.verb} ${g.group || 'core'}/${g.resource}`));
    });

    it('acts with a TokenRequest token of its ServiceAccount: reads and lists pods, lists services, is refused config maps, secrets and deployment deletion', async () => {
      const { name, namespace } = current();
      const token = await core.createNamespacedServiceAccountToken({
        name: `${name}-meshwarden`,
        namespace,
        body: kubeObject<AuthenticationV1TokenRequest>({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 600 },
        }),
      });
      const kube = testEnv().kubernetes;
      if (kube === undefined) throw notStarted('kubernetes');
      const engine = buildKubeConfig({ server: kube.server, caData: kube.caData, user: `${name}-meshwarden`, token: token.status?.token ?? '' });
      const engineCore = engine.makeApiClient(CoreV1Api);
      const engineApps = engine.makeApiClient(AppsV1Api);
      const target = await createNamespace('mw-target');
      const status = async (request: Promise<unknown>): Promise<number | 'ok'> => {
        try {
          await request;
          return 'ok';
        } catch (error) {
          if (error instanceof ApiException) return error.code;
          throw error;
        }
      };
      expect(await status(engineCore.listNamespacedService({ namespace: target }))).toBe('ok');
      // Allowed to read pods: a missing one answers 404, not 403.
      expect(await status(engineCore.readNamespacedPod({ name: 'absent', namespace: target }))).toBe(404);
      // Listing pods is declared (the quarantine-expiry sweeper finds quarantined pods); config maps are not.
      expect(await status(engineCore.listNamespacedPod({ namespace: target }))).toBe('ok');
      expect(await status(engineCore.listNamespacedConfigMap({ namespace: target }))).toBe(403);
      expect(await status(engineCore.readNamespacedSecret({ name: 'absent', namespace: target }))).toBe(403);
      expect(await status(engineApps.deleteNamespacedDeployment({ name: 'absent', namespace: target }))).toBe(403);
    });
  });

  it('with state.persistence, runs a StatefulSet that gives each replica its own bound claim, and keeps the claims across an upgrade', async () => {
    // The test cluster has no provisioner: two volumes made beforehand, for the claims to bind to.
    const storage = admin.makeApiClient(StorageV1Api);
    const storageClassName = randomName('mw-manual');
    await storage.createStorageClass({ body: kubeObject<V1StorageClass>({ metadata: { name: storageClassName }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate' }) });
    clusterObjects.push(() => storage.deleteStorageClass({ name: storageClassName }));
    const volumes = [0, 1].map((i) => `${storageClassName}-${i}`);
    for (const name of volumes) {
      await core.createPersistentVolume({
        body: kubeObject<V1PersistentVolume>({
          metadata: { name },
          spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName, persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/tmp/${name}` } },
        }),
      });
      clusterObjects.push(() => core.deletePersistentVolume({ name }));
    }
    const values = { replicaCount: 2, state: { persistence: { enabled: true, storageClassName, size: '1Gi' } } };
    const release = await install(values);
    const name = `${release.name}-meshwarden`;
    const statefulSet = await apps.readNamespacedStatefulSet({ name, namespace: release.namespace });
    expect(statefulSet.status?.readyReplicas).toBe(2);
    await expect(apps.readNamespacedDeployment({ name, namespace: release.namespace })).rejects.toMatchObject({ code: 404 });
    const claims = async () => (await core.listNamespacedPersistentVolumeClaim({ namespace: release.namespace })).items
      .map((c) => ({ name: c.metadata?.name, uid: c.metadata?.uid, phase: c.status?.phase, volume: c.spec?.volumeName }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const before = await claims();
    expect(before.map((c) => [c.name, c.phase])).toEqual([[`state-${name}-0`, 'Bound'], [`state-${name}-1`, 'Bound']]);
    expect(before.map((c) => c.volume).sort()).toEqual(volumes);
    // Each pod mounts its own claim as its state directory.
    for (const i of [0, 1]) {
      const pod = await core.readNamespacedPod({ name: `${name}-${i}`, namespace: release.namespace });
      expect(pod.spec?.volumes?.find((v) => v.name === 'state')?.persistentVolumeClaim?.claimName).toBe(`state-${name}-${i}`);
    }
    // An upgrade that rolls the pods keeps the same claims (same UIDs, same volumes).
    const valuesFile = join(work, `${release.name}-upgrade.yaml`);
    await writeFile(valuesFile, stringify({ ...values, podAnnotations: { 'example.com/rolled': 'upgrade-1' } }));
    await helm(['upgrade', release.name, CHART_DIR, '--namespace', release.namespace, '--values', valuesFile, '--wait', '--timeout', '120s']);
    expect((await core.readNamespacedPod({ name: `${name}-0`, namespace: release.namespace })).metadata?.annotations?.['example.com/rolled']).toBe('upgrade-1');
    expect(await claims()).toEqual(before);
  });

  it('with existing playbook ConfigMaps and the dashboard, mounts them beside the chart\'s playbooks, ships the labelled dashboard, and the notes say how to grant their actions', async () => {
    const release = await install({ grafanaDashboard: { enabled: true }, playbooks: { existingConfigMaps: ['soc-playbooks'] } });
    const deployment = await apps.readNamespacedDeployment({ name: `${release.name}-meshwarden`, namespace: release.namespace });
    expect(deployment.status?.availableReplicas).toBe(1);
    const volume = deployment.spec?.template.spec?.volumes?.find((v) => v.name === 'playbooks');
    expect(volume?.projected?.sources?.map((source) => source.configMap?.name)).toEqual([`${release.name}-meshwarden-playbooks`, 'soc-playbooks']);
    const dashboard = await core.readNamespacedConfigMap({ name: `${release.name}-meshwarden-dashboard`, namespace: release.namespace });
    expect(dashboard.metadata?.labels?.grafana_dashboard).toBe('1');
    expect(dashboard.data?.['meshwarden-dashboard.json']).toBe(await readFile(join(REPO_ROOT, 'deploy', 'grafana', 'meshwarden-dashboard.json'), 'utf8'));
    expect(release.output).toContain(`Dashboard: ConfigMap ${release.name}-meshwarden-dashboard in ${release.namespace}, labelled grafana_dashboard="1"`);
    expect(release.output).toContain('Playbooks also come from the existing ConfigMaps soc-playbooks (mounted at /etc/meshwarden-playbooks)');
    expect(release.output).toContain('grant the actions their playbooks use with rbac.extraActions, or set rbac.actions=all');
    expect(release.output).toContain('Detectors and playbooks reload without a restart when their files change');
  });

  it('with rbac.scope=namespaces, allows the declared verbs in the listed namespaces only', async () => {
    const inside = await createNamespace('mw-inside');
    const outside = randomName('mw-outside');
    const release = await install({ rbac: { scope: 'namespaces', namespaces: [inside] } });
    const expected = defaultExpectedGrants().map(parseGrant);
    const allow = expected.map((g) => `allow ${g.verb} ${g.group || 'core'}/${g.resource}`);
    const deny = expected.map((g) => `deny ${g.verb} ${g.group || 'core'}/${g.resource}`);
    expect(await decisions(release, expected, inside)).toEqual(allow);
    expect(await decisions(release, expected, outside)).toEqual(deny);
    expect(await decisions(release, expected, release.namespace)).toEqual(deny);
  });
});
