import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { z } from 'zod';
import { serviceConfigSchema } from '../../../src/config/service-config.js';
import { componentDir } from '../../env/versions.js';

const run = promisify(execFile);

/** Root of the repository. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The chart under test. */
export const CHART_DIR = join(REPO_ROOT, 'helm', 'meshwarden');

/**
 * The cached helm (test/env/prepare.sh builds it). The unit project has no global setup to
 * provide `helmBinary()`, so the path is resolved from the same pins.
 */
export function helmPath(): string {
  const helm = join(componentDir('helm'), 'bin', 'helm');
  if (!existsSync(helm)) throw new Error(`${helm} is missing: run test/env/prepare.sh helm`);
  return helm;
}

/** A rendered Kubernetes object: kind, metadata and the rest left for each test to narrow. */
export const manifestSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: z.object({ name: z.string(), namespace: z.string().optional() }).loose(),
  })
  .loose();
export type Manifest = z.infer<typeof manifestSchema>;

/** Values as a test writes them; serialised to a values file for helm. */
export type Values = Readonly<Record<string, unknown>>;

/** What a helm command printed, whether or not it succeeded. */
export interface HelmOutcome {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

async function withValuesFile<T>(values: Values, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'meshwarden-values-'));
  try {
    const file = join(dir, 'values.yaml');
    await writeFile(file, stringify(values));
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function failure(error: unknown): HelmOutcome {
  const fields = z.object({ stdout: z.string().default(''), stderr: z.string().default('') }).safeParse(error);
  if (!fields.success) throw error;
  return { ok: false, ...fields.data };
}

/** Runs helm with exactly these arguments; never throws for a non-zero exit. */
export async function runHelm(args: readonly string[]): Promise<HelmOutcome> {
  try {
    const { stdout, stderr } = await run(helmPath(), args, { maxBuffer: 64 * 1024 * 1024 });
    return { ok: true, stdout, stderr };
  } catch (error) {
    return failure(error);
  }
}

/** Runs a helm subcommand that takes values (lint, template) with `values`. */
export async function helm(args: readonly string[], values: Values = {}): Promise<HelmOutcome> {
  return withValuesFile(values, (file) => runHelm([...args, '--values', file]));
}

/** `helm lint --strict` of the chart with `values`. */
export function lintChart(values: Values = {}): Promise<HelmOutcome> {
  return helm(['lint', '--strict', CHART_DIR], values);
}

/** `helm template` of the chart; the outcome without throwing, for tests of refusals. */
export function templateChart(values: Values = {}, namespace = 'meshwarden'): Promise<HelmOutcome> {
  return helm(['template', 'mw', CHART_DIR, '--namespace', namespace], values);
}

/** Renders the chart and parses every object; throws with helm's message when rendering fails. */
export async function renderChart(values: Values = {}, namespace = 'meshwarden'): Promise<Manifest[]> {
  const outcome = await templateChart(values, namespace);
  if (!outcome.ok) throw new Error(`helm template failed:\n${outcome.stderr}`);
  return parseManifests(outcome.stdout);
}

/** Parses a multi-document YAML stream of Kubernetes objects, skipping empty documents. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS({ maxAliasCount: -1 }) as unknown;
    })
    .filter((value) => value !== null)
    .map((value) => manifestSchema.parse(value));
}

/** The one object of a kind (and name suffix); fails when there is none or more than one. */
export function only(manifests: readonly Manifest[], kind: string, nameSuffix = ''): Manifest {
  const found = manifests.filter((m) => m.kind === kind && m.metadata.name.endsWith(nameSuffix));
  if (found.length !== 1) throw new Error(`expected one ${kind} named *${nameSuffix}, found ${found.length}`);
  const [manifest] = found;
  if (manifest === undefined) throw new Error('unreachable');
  return manifest;
}

/**
 * Values that switch every optional part of the chart on: SASL, Vault, Slack (HTTP mode), a PVC,
 * namespaced RBAC over every action, the ServiceMonitor and PrometheusRule, a percentage PDB, extra network peers and
 * an extra playbook.
 */
export const EVERYTHING_ON: Values = {
  replicaCount: 2,
  image: { digest: `sha256:${'ab'.repeat(32)}` },
  imagePullSecrets: [{ name: 'regcred' }],
  serviceAccount: { annotations: { 'example.com/owner': 'soc' } },
  podAnnotations: { 'example.com/team': 'soc' },
  podLabels: { team: 'soc' },
  priorityClassName: 'system-cluster-critical',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'security', effect: 'NoSchedule' }],
  topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'meshwarden' } } }],
  extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=768' }],
  config: {
    dryRun: true,
    logLevel: 'debug',
    kafka: { brokers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'], ssl: true, sasl: 'scram-sha-512', checkpointEvery: '30s', topics: { falcoEvents: 'falco-events' } },
    vault: { enabled: true, address: 'https://vault.vault.svc:8200', kubernetesRole: 'meshwarden' },
    slack: { enabled: true, mode: 'http', apiUrl: 'https://slack.example.com/api/', refusalsChannel: '#soc-refusals', releasers: { users: ['U0SOCLEAD'], groups: ['S0SOCTEAM'] } },
    outputs: {
      alertmanager: { enabled: true, url: 'http://alertmanager-operated.monitoring.svc:9093', externalUrl: 'https://soc.example.com/meshwarden' },
      webhook: { enabled: true, url: 'https://hooks.example.com/meshwarden' },
      kubernetesEvents: { enabled: true },
    },
  },
  secrets: {
    webhook: { existingSecret: 'meshwarden-webhook' },
    slack: { existingSecret: 'meshwarden-slack' },
    approval: { existingSecret: 'meshwarden-approval' },
    kafka: { existingSecret: 'meshwarden-kafka' },
    ledger: { existingSecret: 'meshwarden-ledger' },
  },
  state: { persistence: { enabled: true, accessModes: ['ReadWriteMany'], storageClassName: 'nfs' } },
  rbac: { actions: 'all', scope: 'namespaces', namespaces: ['ml-prod', 'ml-staging'] },
  serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
  prometheusRule: { enabled: true, labels: { release: 'prometheus' } },
  podDisruptionBudget: { minAvailable: '50%' },
  networkPolicy: {
    ingress: { namespaces: ['monitoring', 'ingress-nginx'], extraFrom: [{ ipBlock: { cidr: '203.0.113.0/24' } }] },
    egress: { extra: [{ to: [{ ipBlock: { cidr: '198.51.100.0/24' } }], ports: [{ port: 4317 }] }] },
  },
  playbooks: {
    files: {
      'scale-down.yaml': [
        'apiVersion: meshwarden.io/v1',
        'kind: Playbook',
        'metadata: { name: scale-down }',
        'spec:',
        '  trigger: { detectors: [error-storm], entityKinds: [workload] }',
        '  steps:',
        '    - action: kubernetes.scale',
        '      params: { namespace: "{{ entity.namespace }}", deployment: "{{ entity.workload }}", replicas: 0 }',
        '',
      ].join('\n'),
    },
  },
};

/** The engine Deployment's pod spec, as far as the Secret mounts are concerned. */
export const mountingPodSpec = z.object({
  spec: z.object({
    template: z.object({
      spec: z.object({
        containers: z.array(z.object({ volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() })) }).loose()),
        volumes: z.array(z.object({ name: z.string() }).loose()),
      }).loose(),
    }).loose(),
  }).loose(),
}).loose();

/** The service config the chart renders (its `-config` ConfigMap's `config.yaml`), parsed as the engine parses it. */
export function renderedServiceConfig(manifests: readonly Manifest[]): ReturnType<typeof serviceConfigSchema.parse> {
  const data = z.object({ data: z.record(z.string(), z.string()) }).loose().parse(only(manifests, 'ConfigMap', '-config')).data;
  return serviceConfigSchema.parse(parse(data['config.yaml'] ?? ''));
}
