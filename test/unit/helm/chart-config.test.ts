import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { loadConfig } from '../../../src/config/load-config.js';
import { serviceConfigSchema } from '../../../src/config/service-config.js';
import { CHART_DIR, EVERYTHING_ON, helm, only, REPO_ROOT, renderChart, runHelm, type Manifest, type Values } from './helm-chart.js';

const configMapSchema = z.object({ data: z.record(z.string(), z.string()) }).loose();

function dataOf(manifests: readonly Manifest[], suffix: string): Record<string, string> {
  return configMapSchema.parse(only(manifests, 'ConfigMap', suffix)).data;
}

async function renderedConfig(values: Values, namespace = 'meshwarden'): Promise<{ raw: unknown; text: string }> {
  const text = dataOf(await renderChart(values, namespace), '-config')['config.yaml'];
  if (text === undefined) throw new Error('config.yaml missing from the config ConfigMap');
  return { raw: parse(text) as unknown, text };
}

/** Every key path of a plain-object tree (arrays are leaves). */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => [`${prefix}${key}`, ...keyPaths(child, `${prefix}${key}.`)]);
}

/** Key paths a zod object schema declares, through nested objects, defaults and optionals. */
function schemaKeyPaths(schema: z.ZodType, prefix = ''): string[] {
  let inner: z.ZodType = schema;
  for (;;) {
    if (inner instanceof z.ZodDefault || inner instanceof z.ZodPrefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
    else break;
  }
  if (!(inner instanceof z.ZodObject)) return [];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) => [`${prefix}${key}`, ...schemaKeyPaths(child, `${prefix}${key}.`)]);
}

async function listYaml(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
}

describe('config.yaml rendered by the chart', () => {
  it('parses with serviceConfigSchema for the default values, with the chart-owned paths and the release namespace', async () => {
    const { raw } = await renderedConfig({}, 'security');
    const config = serviceConfigSchema.parse(raw);
    expect(config).toMatchObject({
      detectors: '/etc/meshwarden/detectors',
      playbooks: '/etc/meshwarden/playbooks',
      stateDir: '/var/lib/meshwarden',
      namespace: 'security',
      dryRun: true,
      protectedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease', 'istio-system', 'default'],
      http: { port: 8080, host: '0.0.0.0' },
      kafka: { brokers: ['kafka-kafka-bootstrap.kafka.svc:9092'], checkpointEvery: 60_000 },
      vault: { enabled: false },
      slack: { enabled: false, mode: 'socket' },
    });
    expect(config.kafka.sasl).toBeUndefined();
  });

  it('parses with serviceConfigSchema with everything switched on, carrying each value through', async () => {
    const config = serviceConfigSchema.parse((await renderedConfig(EVERYTHING_ON)).raw);
    expect(config).toMatchObject({
      dryRun: true,
      logLevel: 'debug',
      kafka: { brokers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'], ssl: true, sasl: 'scram-sha-512', checkpointEvery: 30_000 },
      vault: { enabled: true, address: 'https://vault.vault.svc:8200', kubernetesRole: 'meshwarden', kubernetesMount: 'kubernetes' },
      slack: { enabled: true, mode: 'http', apiUrl: 'https://slack.example.com/api/', refusalsChannel: '#soc-refusals' },
    });
  });

  it('renders every key serviceConfigSchema declares, so a new engine setting cannot go unnoticed by the chart', async () => {
    const { raw } = await renderedConfig(EVERYTHING_ON);
    expect(keyPaths(raw).sort()).toEqual(schemaKeyPaths(serviceConfigSchema).sort());
  });

  it('parses for values that change every config setting the chart exposes', async () => {
    const values: Values = {
      http: { port: 9443 },
      state: { path: '/data' },
      config: {
        protectedNamespaces: ['kube-system', 'istio-system'],
        kubernetes: { enabled: false },
        kafka: {
          brokers: ['broker:9092'], clientId: 'client-x', groupId: 'group-x',
          topics: { accessLogs: 't-access', modelTelemetry: 't-telemetry', driftMetrics: 't-drift', deadLetters: 't-dead', anomalies: 't-anomalies', audit: 't-audit', state: 't-state' },
        },
        vault: { enabled: true, address: 'http://vault:8200', kubernetesMount: 'k8s-prod', kubernetesRole: 'role-x' },
        slack: { enabled: true, mode: 'socket' },
      },
      secrets: { slack: { existingSecret: 'slack-x' } },
    };
    const config = serviceConfigSchema.parse((await renderedConfig(values)).raw);
    expect(config).toMatchObject({
      stateDir: '/data',
      http: { port: 9443 },
      protectedNamespaces: ['kube-system', 'istio-system'],
      kubernetes: { enabled: false },
      kafka: { brokers: ['broker:9092'], clientId: 'client-x', groupId: 'group-x', topics: { accessLogs: 't-access', modelTelemetry: 't-telemetry', driftMetrics: 't-drift', deadLetters: 't-dead', anomalies: 't-anomalies', audit: 't-audit', state: 't-state' } },
      vault: { kubernetesMount: 'k8s-prod' },
    });
  });
});

describe('detector and playbook files', () => {
  it.each(['detectors', 'playbooks'])('keeps byte-identical copies of %s/ in the chart (run helm/sync-config.sh when this fails)', async (kind) => {
    const names = await listYaml(join(REPO_ROOT, kind));
    expect(names.length).toBeGreaterThan(0);
    expect(await listYaml(join(CHART_DIR, 'files', kind))).toEqual(names);
    for (const name of names) {
      expect(await readFile(join(CHART_DIR, 'files', kind, name), 'utf8'), name).toBe(await readFile(join(REPO_ROOT, kind, name), 'utf8'));
    }
  });

  it.each(['detectors', 'playbooks'])('renders the shipped %s into their ConfigMap byte for byte', async (kind) => {
    const data = dataOf(await renderChart(), `-${kind}`);
    const names = await listYaml(join(REPO_ROOT, kind));
    expect(Object.keys(data).sort()).toEqual(names);
    for (const name of names) expect(data[name], name).toBe(await readFile(join(REPO_ROOT, kind, name), 'utf8'));
  });

  it('adds and replaces files from values and leaves out excluded ones', async () => {
    const extra = 'apiVersion: meshwarden.io/v1\nkind: Detector\n';
    const data = dataOf(
      await renderChart({ detectors: { exclude: ['egress-spike.yaml'], files: { 'mine.yaml': extra, 'error-storm.yaml': extra } } }),
      '-detectors',
    );
    expect(data['egress-spike.yaml']).toBeUndefined();
    expect(data['mine.yaml']).toBe(extra);
    expect(data['error-storm.yaml']).toBe(extra);
    expect(data['latency-storm.yaml']).toBe(await readFile(join(REPO_ROOT, 'detectors', 'latency-storm.yaml'), 'utf8'));
  });

  it('keeps an empty directory mountable when no files are configured', async () => {
    const data = dataOf(await renderChart({ playbooks: { shipped: false } }), '-playbooks');
    expect(Object.keys(data)).toEqual(['README']);
  });
});

describe('the packaged chart', () => {
  it('holds the copied files and renders exactly as the chart directory does', async () => {
    const out = await mkdtemp(join(tmpdir(), 'meshwarden-package-'));
    try {
      const packaged = await runHelm(['package', CHART_DIR, '--destination', out]);
      expect(packaged.stderr).toBe('');
      const archive = join(out, 'meshwarden-0.1.0.tgz');
      const fromArchive = await helm(['template', 'mw', archive, '--namespace', 'meshwarden']);
      const fromDirectory = await helm(['template', 'mw', CHART_DIR, '--namespace', 'meshwarden']);
      expect(fromArchive.ok).toBe(true);
      expect(fromArchive.stdout).toBe(fromDirectory.stdout);
      expect(fromArchive.stdout).toContain('quarantine-on-exfiltration.yaml: |');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('the mounted /etc/meshwarden', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const projectedSchema = z.object({
    spec: z.object({
      template: z.object({
        spec: z.object({
          volumes: z.array(
            z.object({
              name: z.string(),
              projected: z
                .object({
                  sources: z.array(z.object({ configMap: z.object({ name: z.string(), items: z.array(z.object({ key: z.string(), path: z.string() })) }) })),
                })
                .optional(),
            }).loose(),
          ),
        }).loose(),
      }).loose(),
    }).loose(),
  }).loose();

  it('loads through the engine loader with no problems and each shipped file once, laid out as the kubelet writes the projected volume', async () => {
    const manifests = await renderChart();
    const volume = projectedSchema.parse(only(manifests, 'Deployment')).spec.template.spec.volumes.find((v) => v.name === 'config');
    const sources = volume?.projected?.sources ?? [];
    expect(sources.length).toBe(3);

    // The kubelet's atomic writer: the payload in a timestamped hidden directory, `..data` linking
    // to it, and one link per top-level entry of the payload.
    const root = await mkdtemp(join(tmpdir(), 'meshwarden-mount-'));
    dirs.push(root);
    const payload = join(root, '..2025_01_01_00_00_00.000000001');
    for (const { configMap } of sources) {
      const data = configMapSchema.parse(manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === configMap.name)).data;
      for (const item of configMap.items) {
        const content = data[item.key];
        if (content === undefined) throw new Error(`${configMap.name} has no key ${item.key}`);
        await mkdir(dirname(join(payload, item.path)), { recursive: true });
        await writeFile(join(payload, item.path), content);
      }
    }
    await symlink('..2025_01_01_00_00_00.000000001', join(root, '..data'));
    for (const entry of await readdir(payload)) await symlink(join('..data', entry), join(root, entry));

    const config = serviceConfigSchema.parse(parse(await readFile(join(root, 'config.yaml'), 'utf8')));
    const mounted = (path: string): string => join(root, path.replace(/^\/etc\/meshwarden\//, ''));
    const loaded = await loadConfig([mounted(config.detectors), mounted(config.playbooks)]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.detectors.map((d) => d.value.metadata.name).length).toBe((await listYaml(join(REPO_ROOT, 'detectors'))).length);
    expect(loaded.playbooks.map((p) => p.value.metadata.name).length).toBe((await listYaml(join(REPO_ROOT, 'playbooks'))).length);
  });
});
