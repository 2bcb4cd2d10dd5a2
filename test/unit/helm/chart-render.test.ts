import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SECRET_ENV } from '../../../src/config/service-config.js';
import { EVERYTHING_ON, lintChart, only, renderChart, templateChart, type Manifest, type Values } from './helm-chart.js';

const envVarSchema = z
  .object({
    name: z.string(),
    value: z.string().optional(),
    valueFrom: z.object({ secretKeyRef: z.object({ name: z.string(), key: z.string() }).strict() }).strict().optional(),
  })
  .strict();
const probeSchema = z.object({ httpGet: z.object({ path: z.string(), port: z.union([z.string(), z.number()]) }).strict() }).loose();
const containerSchema = z
  .object({
    name: z.string(),
    image: z.string(),
    args: z.array(z.string()),
    securityContext: z.record(z.string(), z.unknown()),
    ports: z.array(z.object({ name: z.string(), containerPort: z.number() }).loose()),
    env: z.array(envVarSchema),
    livenessProbe: probeSchema,
    readinessProbe: probeSchema,
    resources: z.object({ requests: z.record(z.string(), z.unknown()), limits: z.record(z.string(), z.unknown()) }).strict(),
    volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() }).strict()),
  })
  .loose();
const deploymentSchema = z
  .object({
    spec: z
      .object({
        replicas: z.number(),
        template: z.object({
          metadata: z.object({ annotations: z.record(z.string(), z.string()) }).loose(),
          spec: z
            .object({
              serviceAccountName: z.string(),
              automountServiceAccountToken: z.boolean(),
              securityContext: z.record(z.string(), z.unknown()),
              containers: z.array(containerSchema).length(1),
              volumes: z.array(z.object({ name: z.string() }).loose()),
            })
            .loose(),
        }),
      })
      .loose(),
  })
  .loose();

type Deployment = z.infer<typeof deploymentSchema>;
type Container = z.infer<typeof containerSchema>;

/** The engine's workload: a Deployment, or a StatefulSet with per-replica persistence. */
function deploymentOf(manifests: readonly Manifest[]): Deployment {
  const workloads = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
  if (workloads.length !== 1) throw new Error(`expected one Deployment or StatefulSet, got ${workloads.length}`);
  return deploymentSchema.parse(workloads[0]);
}

function containerOf(deployment: Deployment): Container {
  const [container] = deployment.spec.template.spec.containers;
  if (container === undefined) throw new Error('no container');
  return container;
}

function volume(deployment: Deployment, name: string): Record<string, unknown> {
  const found = deployment.spec.template.spec.volumes.find((v) => v.name === name);
  if (found === undefined) throw new Error(`no volume ${name}`);
  return found;
}

async function secretEnv(values: Values): Promise<Record<string, { name: string; key: string }>> {
  const env = containerOf(deploymentOf(await renderChart(values))).env;
  return Object.fromEntries(env.flatMap((e) => (e.valueFrom === undefined ? [] : [[e.name, e.valueFrom.secretKeyRef]])));
}

const slack = (mode: 'socket' | 'http'): Values => ({
  config: { slack: { enabled: true, mode } },
  secrets: { slack: { existingSecret: 'slack-tokens' } },
});

describe('helm chart rendering', () => {
  it('passes helm lint --strict with the default values', async () => {
    const outcome = await lintChart();
    expect(outcome.stderr).toBe('');
    expect(outcome.ok).toBe(true);
  });

  it('passes helm lint --strict and renders every optional part with everything switched on', async () => {
    const lint = await lintChart(EVERYTHING_ON);
    expect(lint.stderr).toBe('');
    expect(lint.ok).toBe(true);
    const kinds = (await renderChart(EVERYTHING_ON)).map((m) => `${m.kind}/${m.metadata.namespace ?? ''}`).sort();
    expect(kinds).toEqual([
      'ConfigMap/meshwarden', 'ConfigMap/meshwarden', 'ConfigMap/meshwarden',
      'NetworkPolicy/meshwarden', 'PodDisruptionBudget/meshwarden', 'PrometheusRule/meshwarden',
      'Role/meshwarden', 'Role/ml-prod', 'Role/ml-staging', 'RoleBinding/meshwarden', 'RoleBinding/ml-prod', 'RoleBinding/ml-staging',
      'Service/meshwarden', 'ServiceAccount/meshwarden', 'ServiceMonitor/meshwarden', 'StatefulSet/meshwarden',
    ]);
  });

  it('renders by default the Deployment, Service, ServiceAccount, RBAC for the actions and the silences ConfigMap, ConfigMaps, NetworkPolicy and PDB, and no ServiceMonitor, PVC or run-claims Role (it installs in dry-run)', async () => {
    const manifests = await renderChart();
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'ConfigMap', 'ConfigMap', 'Deployment',
      'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount',
    ]);
    expect(manifests.filter((m) => m.kind === 'Role').map((m) => m.metadata.name)).toEqual(['mw-meshwarden-silences']);
  });

  it('adds the run-claims Role and RoleBinding once acting is switched on', async () => {
    const manifests = await renderChart({ config: { dryRun: false } });
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'ConfigMap', 'ConfigMap', 'Deployment',
      'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'Role', 'RoleBinding', 'RoleBinding', 'Service', 'ServiceAccount',
    ]);
    expect(manifests.filter((m) => m.kind === 'Role').map((m) => m.metadata.name)).toEqual(['mw-meshwarden-claims', 'mw-meshwarden-silences']);
  });

  it('runs the container non-root, read-only, without privilege escalation or capabilities, under seccomp RuntimeDefault', async () => {
    for (const values of [{}, EVERYTHING_ON]) {
      const deployment = deploymentOf(await renderChart(values));
      expect(deployment.spec.template.spec.securityContext).toEqual({
        runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(containerOf(deployment).securityContext).toEqual({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    }
  });

  it('refuses user id 0 and security context keys other than the ids', async () => {
    const root = await templateChart({ securityContext: { runAsUser: 0 } });
    expect(root.ok).toBe(false);
    expect(root.stderr).toContain('securityContext.runAsUser');
    const privileged = await templateChart({ securityContext: { privileged: true } });
    expect(privileged.ok).toBe(false);
    expect(privileged.stderr).toContain('Additional property privileged is not allowed');
  });

  it('runs `serve --config /etc/meshwarden/config.yaml` with the config, state dir and /tmp mounted', async () => {
    const deployment = deploymentOf(await renderChart());
    const container = containerOf(deployment);
    expect(container.image).toBe('ghcr.io/meshwarden/meshwarden:0.1.0');
    expect(container.args).toEqual(['serve', '--config', '/etc/meshwarden/config.yaml']);
    expect(container.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/meshwarden', readOnly: true },
      { name: 'state', mountPath: '/var/lib/meshwarden' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(volume(deployment, 'state')).toEqual({ name: 'state', emptyDir: { sizeLimit: '1Gi' } });
    expect(volume(deployment, 'tmp')).toEqual({ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } });
  });

  it('pins the image by digest when one is given', async () => {
    const container = containerOf(deploymentOf(await renderChart({ image: { digest: `sha256:${'0'.repeat(64)}`, tag: 'ignored' } })));
    expect(container.image).toBe(`ghcr.io/meshwarden/meshwarden@sha256:${'0'.repeat(64)}`);
  });

  it('runs as a StatefulSet with a claim per replica when persistence is on, or mounts one existing claim, refusing to share a RWO one', async () => {
    const manifests = await renderChart({ replicaCount: 3, state: { persistence: { enabled: true, size: '20Gi', storageClassName: 'fast' } } });
    const set = only(manifests, 'StatefulSet') as Manifest & { spec: { serviceName: string; podManagementPolicy: string; volumeClaimTemplates: { metadata: { name: string }; spec: unknown }[] } };
    expect(manifests.map((m) => m.kind)).not.toContain('Deployment');
    expect(manifests.map((m) => m.kind)).not.toContain('PersistentVolumeClaim');
    expect(set.spec.serviceName).toBe('mw-meshwarden');
    expect(set.spec.podManagementPolicy).toBe('Parallel');
    expect(set.spec.volumeClaimTemplates).toEqual([{
      metadata: { name: 'state', labels: { 'app.kubernetes.io/name': 'meshwarden', 'app.kubernetes.io/instance': 'mw' } },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '20Gi' } } },
    }]);
    const engine = deploymentOf(manifests);
    expect(engine.spec.template.spec.volumes.map((v) => v.name)).not.toContain('state');
    expect(containerOf(engine).volumeMounts).toContainEqual({ name: 'state', mountPath: '/var/lib/meshwarden' });

    const existing = await renderChart({ state: { persistence: { enabled: true, existingClaim: 'ledger' } } });
    const deployment = only(existing, 'Deployment') as Manifest & { spec: { strategy: unknown } };
    expect(volume(deploymentOf(existing), 'state')).toEqual({ name: 'state', persistentVolumeClaim: { claimName: 'ledger' } });
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(existing.map((m) => m.kind)).not.toContain('PersistentVolumeClaim');
    const shared = await templateChart({ replicaCount: 2, state: { persistence: { enabled: true, existingClaim: 'ledger' } } });
    expect(shared.ok).toBe(false);
    expect(shared.stderr).toContain('one ReadWriteOnce claim cannot be shared by several replicas');
  });

  it('probes /healthz (liveness) and /readyz (readiness) on the http port, which is the config http.port', async () => {
    const manifests = await renderChart({ http: { port: 9090 } });
    const container = containerOf(deploymentOf(manifests));
    expect(container.ports).toEqual([{ name: 'http', containerPort: 9090, protocol: 'TCP' }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    const config = z.object({ data: z.object({ 'config.yaml': z.string() }) }).loose().parse(only(manifests, 'ConfigMap', '-config'));
    expect(config.data['config.yaml']).toContain('port: 9090');
  });

  it('sets resource requests and limits for cpu and memory', async () => {
    const { resources } = containerOf(deploymentOf(await renderChart()));
    expect(Object.keys(resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(resources.limits).sort()).toEqual(['cpu', 'memory']);
  });

  it('passes Node flags in NODE_OPTIONS when nodeOptions is set, and none by default', async () => {
    const nodeOptions = async (values?: Values): Promise<string[]> =>
      containerOf(deploymentOf(await renderChart(values))).env.filter((e) => e.name === 'NODE_OPTIONS').map((e) => e.value ?? '');
    expect(await nodeOptions()).toEqual([]);
    expect(await nodeOptions({ nodeOptions: '--max-semi-space-size=32 --max-old-space-size=768' })).toEqual(['--max-semi-space-size=32 --max-old-space-size=768']);
  });

  it('mounts the ServiceAccount token only when Kubernetes actions or Vault Kubernetes auth need it', async () => {
    const account = z.object({ automountServiceAccountToken: z.literal(false) }).loose();
    expect(account.safeParse(only(await renderChart(), 'ServiceAccount')).success).toBe(true);
    const automount = async (values: Values): Promise<boolean> => deploymentOf(await renderChart(values)).spec.template.spec.automountServiceAccountToken;
    expect(await automount({})).toBe(true);
    expect(await automount({ config: { kubernetes: { enabled: false } } })).toBe(false);
    expect(await automount({ config: { kubernetes: { enabled: false }, vault: { enabled: true, address: 'http://vault:8200', kubernetesRole: 'mw' } } })).toBe(true);
  });

  it('rolls the pods when a playbook changes', async () => {
    const checksum = async (values: Values): Promise<string | undefined> =>
      deploymentOf(await renderChart(values)).spec.template.metadata.annotations['checksum/config'];
    const before = await checksum({});
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(await checksum({})).toBe(before);
    expect(await checksum({ playbooks: { exclude: ['model-rollback.yaml'] } })).not.toBe(before);
  });
});

describe('secret environment variables', () => {
  it('wires none by default', async () => {
    expect(await secretEnv({})).toEqual({});
  });

  it.each([
    ['Slack in Socket Mode', slack('socket'), {
      [SECRET_ENV.slackBotToken]: { name: 'slack-tokens', key: 'bot-token' },
      [SECRET_ENV.slackAppToken]: { name: 'slack-tokens', key: 'app-token' },
      [SECRET_ENV.approvalKey]: { name: 'slack-tokens', key: 'approval-key' },
    }],
    ['Slack in HTTP mode with its own approval Secret', { ...slack('http'), secrets: { slack: { existingSecret: 'slack-tokens' }, approval: { existingSecret: 'approvals', key: 'hmac' } } }, {
      [SECRET_ENV.slackBotToken]: { name: 'slack-tokens', key: 'bot-token' },
      [SECRET_ENV.slackSigningSecret]: { name: 'slack-tokens', key: 'signing-secret' },
      [SECRET_ENV.approvalKey]: { name: 'approvals', key: 'hmac' },
    }],
    ['Vault with a token', { config: { vault: { enabled: true, address: 'http://vault:8200' } }, secrets: { vault: { existingSecret: 'vault-token' } } }, {
      [SECRET_ENV.vaultToken]: { name: 'vault-token', key: 'token' },
    }],
    ['Vault with Kubernetes auth', { config: { vault: { enabled: true, address: 'http://vault:8200', kubernetesRole: 'meshwarden' } } }, {}],
    ['Kafka SASL', { config: { kafka: { sasl: 'plain' } }, secrets: { kafka: { existingSecret: 'kafka-user', usernameKey: 'user' } } }, {
      [SECRET_ENV.kafkaUsername]: { name: 'kafka-user', key: 'user' },
      [SECRET_ENV.kafkaPassword]: { name: 'kafka-user', key: 'password' },
    }],
  ])('wires exactly the Secrets %s needs', async (_name, values, expected) => {
    expect(await secretEnv(values)).toEqual(expected);
  });

  it('can wire every SECRET_ENV entry, and nothing else', async () => {
    const names = new Set<string>();
    for (const values of [slack('socket'), slack('http'), { config: { vault: { enabled: true, address: 'http://vault:8200' }, kafka: { sasl: 'plain' } }, secrets: { vault: { existingSecret: 'v' }, kafka: { existingSecret: 'k' } } }]) {
      for (const name of Object.keys(await secretEnv(values))) names.add(name);
    }
    expect([...names].sort()).toEqual(Object.values(SECRET_ENV).sort());
  });

  it.each([
    ['Slack', { config: { slack: { enabled: true } } }, 'secrets.slack.existingSecret: name the Secret holding the Slack tokens'],
    ['Vault without Kubernetes auth', { config: { vault: { enabled: true, address: 'http://vault:8200' } } }, 'secrets.vault.existingSecret: name the Secret holding the Vault token, or set config.vault.kubernetesRole'],
    ['Kafka SASL', { config: { kafka: { sasl: 'scram-sha-256' } } }, 'secrets.kafka.existingSecret: name the Secret holding the Kafka SASL username and password'],
    ['Vault without an address', { config: { vault: { enabled: true, kubernetesRole: 'mw' } } }, 'config.vault.address: set the Vault address'],
  ])('fails the render when %s is enabled without what it needs, saying which value to set', async (_name, values, message) => {
    const outcome = await templateChart(values);
    expect(outcome.ok).toBe(false);
    expect(outcome.stderr).toContain(message);
  });
});

describe('values.schema.json', () => {
  it.each([
    ['an unknown top-level key', { replicas: 2 }, 'Additional property replicas is not allowed'],
    ['an unknown nested key', { config: { kafka: { sasll: 'plain' } } }, 'config.kafka: Additional property sasll is not allowed'],
    ['a string where a number belongs', { replicaCount: 'two' }, 'replicaCount: Invalid type. Expected: integer, given: string'],
    ['a number where a list belongs', { config: { kafka: { brokers: 9092 } } }, 'config.kafka.brokers: Invalid type. Expected: array, given: integer'],
    ['a value outside an enum', { rbac: { scope: 'everywhere' } }, 'rbac.scope: rbac.scope must be one of the following'],
    ['a malformed duration', { config: { kafka: { checkpointEvery: 'sixty seconds' } } }, 'config.kafka.checkpointEvery: Does not match pattern'],
    ['a bad SASL mechanism', { config: { kafka: { sasl: 'gssapi' } } }, 'config.kafka.sasl: config.kafka.sasl must be one of the following'],
  ])('makes helm template fail on %s', async (_name, values, message) => {
    const outcome = await templateChart(values);
    expect(outcome.ok).toBe(false);
    expect(outcome.stderr).toContain(message);
  });

  it('makes helm lint fail on an unknown key', async () => {
    const outcome = await lintChart({ image: { repo: 'example/meshwarden' } });
    expect(outcome.ok).toBe(false);
    expect(`${outcome.stdout}${outcome.stderr}`).toContain('image: Additional property repo is not allowed');
  });
});

const peerSchema = z
  .object({
    ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()).optional() }).strict().optional(),
    namespaceSelector: z.object({ matchLabels: z.record(z.string(), z.string()) }).strict().optional(),
    podSelector: z.object({ matchLabels: z.record(z.string(), z.string()) }).strict().optional(),
  })
  .strict();
const portSchema = z.object({ port: z.union([z.number(), z.string()]), protocol: z.string().optional() }).strict();
const policySchema = z
  .object({
    spec: z
      .object({
        podSelector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
        policyTypes: z.array(z.string()),
        ingress: z.array(z.object({ from: z.array(peerSchema), ports: z.array(portSchema) }).strict()),
        egress: z.array(z.object({ to: z.array(peerSchema), ports: z.array(portSchema) }).strict()),
      })
      .strict(),
  })
  .loose();

function namespacesOf(peers: readonly z.infer<typeof peerSchema>[]): string[] {
  return peers.flatMap((p) => {
    const name = p.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'];
    return name === undefined ? [] : [name];
  });
}

describe('network policy', () => {
  it('admits only the http port from the listed namespaces, and lets out DNS, the API server and Kafka by default', async () => {
    const policy = policySchema.parse(only(await renderChart(), 'NetworkPolicy'));
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'meshwarden', 'app.kubernetes.io/instance': 'mw' });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 'http', protocol: 'TCP' }] },
    ]);
    const ports = policy.spec.egress.map((rule) => rule.ports.map((p) => `${String(p.port)}/${p.protocol ?? 'TCP'}`).join(','));
    expect(ports).toEqual(['53/UDP,53/TCP', '443/TCP,6443/TCP', '9092/TCP,9093/TCP']);
    expect(namespacesOf(policy.spec.egress[0]?.to ?? [])).toEqual(['kube-system']);
    expect(namespacesOf(policy.spec.egress[2]?.to ?? [])).toEqual(['kafka']);
  });

  it('adds egress to Vault and Slack only when they are enabled, and extra rules and peers from values', async () => {
    const policy = policySchema.parse(only(await renderChart(EVERYTHING_ON), 'NetworkPolicy'));
    expect(policy.spec.egress.map((rule) => rule.ports.map((p) => String(p.port)).join(','))).toEqual(['53,53', '443,6443', '9092,9093', '8200', '443', '4317']);
    expect(policy.spec.egress[4]?.to).toEqual([{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }]);
    expect(policy.spec.ingress[0]?.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
      { ipBlock: { cidr: '203.0.113.0/24' } },
    ]);
  });

  it('leaves out the API server egress when Kubernetes actions are off, even with Vault Kubernetes auth', async () => {
    const values = { config: { kubernetes: { enabled: false }, vault: { enabled: true, address: 'http://vault:8200', kubernetesRole: 'mw' } } };
    const policy = policySchema.parse(only(await renderChart(values), 'NetworkPolicy'));
    expect(policy.spec.egress.map((rule) => rule.ports.map((p) => String(p.port)).join(','))).toEqual(['53,53', '9092,9093', '8200']);
  });

  it('refuses an egress target that names no peer, which would allow every destination', async () => {
    const outcome = await templateChart({ networkPolicy: { egress: { kafka: { namespaces: [], cidrs: [] } } } });
    expect(outcome.ok).toBe(false);
    expect(outcome.stderr).toContain('networkPolicy.egress.kafka: name cidrs or namespaces');
  });

  it('renders no NetworkPolicy when disabled', async () => {
    expect((await renderChart({ networkPolicy: { enabled: false } })).map((m) => m.kind)).not.toContain('NetworkPolicy');
  });
});

describe('disruption budget and monitoring', () => {
  it('keeps maxUnavailable 1 by default and uses minAvailable instead when set', async () => {
    const spec = (m: Manifest): unknown => z.object({ spec: z.record(z.string(), z.unknown()) }).loose().parse(m).spec;
    expect(spec(only(await renderChart(), 'PodDisruptionBudget'))).toEqual({
      maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'meshwarden', 'app.kubernetes.io/instance': 'mw' } },
    });
    expect(spec(only(await renderChart({ podDisruptionBudget: { minAvailable: 1 } }), 'PodDisruptionBudget'))).toMatchObject({ minAvailable: 1 });
  });

  it('scrapes /metrics on the http port of the Service with the ServiceMonitor', async () => {
    const manifests = await renderChart({ serviceMonitor: { enabled: true, labels: { release: 'prom' } } });
    const monitor = z
      .object({ apiVersion: z.literal('monitoring.coreos.com/v1'), metadata: z.object({ labels: z.record(z.string(), z.string()) }).loose(), spec: z.unknown() })
      .loose()
      .parse(only(manifests, 'ServiceMonitor'));
    expect(monitor.metadata.labels['release']).toBe('prom');
    expect(monitor.spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'meshwarden', 'app.kubernetes.io/instance': 'mw' } },
      namespaceSelector: { matchNames: ['meshwarden'] },
      endpoints: [{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
    });
    const service = z.object({ spec: z.object({ ports: z.array(z.unknown()) }).loose() }).loose().parse(only(manifests, 'Service'));
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
  });
});
