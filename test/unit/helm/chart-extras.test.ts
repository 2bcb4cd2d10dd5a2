import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { loadConfig } from '../../../src/config/load-config.js';
import { serviceConfigSchema } from '../../../src/config/service-config.js';
import { CHART_DIR, only, REPO_ROOT, renderChart, type Manifest } from './helm-chart.js';

const DASHBOARD = join(REPO_ROOT, 'deploy', 'grafana', 'meshwarden-dashboard.json');

const configMapSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string(), labels: z.record(z.string(), z.string()), annotations: z.record(z.string(), z.string()).optional() }).loose(),
  data: z.record(z.string(), z.string()),
}).loose();

const volumeSchema = z.object({
  name: z.string(),
  projected: z.object({
    sources: z.array(z.object({ configMap: z.object({ name: z.string(), items: z.array(z.object({ key: z.string(), path: z.string() })).optional() }).strict() })),
  }).optional(),
}).loose();

const podSpecSchema = z.object({
  spec: z.object({
    template: z.object({
      spec: z.object({
        containers: z.array(z.object({ volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() })) }).loose()),
        volumes: z.array(volumeSchema),
      }).loose(),
    }).loose(),
  }).loose(),
}).loose();

function dashboards(manifests: readonly Manifest[]): Manifest[] {
  return manifests.filter((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard'));
}

function serviceConfig(manifests: readonly Manifest[]): ReturnType<typeof serviceConfigSchema.parse> {
  const text = configMapSchema.parse(only(manifests, 'ConfigMap', '-config')).data['config.yaml'];
  return serviceConfigSchema.parse(parse(text ?? ''));
}

describe('the Grafana dashboard ConfigMap (grafanaDashboard)', () => {
  it('is not rendered by default', async () => {
    expect(dashboards(await renderChart())).toEqual([]);
  });

  it('holds deploy/grafana/meshwarden-dashboard.json byte for byte, labelled grafana_dashboard: "1" for the sidecar', async () => {
    const [map] = dashboards(await renderChart({ grafanaDashboard: { enabled: true } }, 'soc'));
    const parsed = configMapSchema.parse(map);
    expect(parsed.metadata.namespace).toBe('soc');
    expect(parsed.metadata.labels.grafana_dashboard).toBe('1');
    expect(Object.keys(parsed.data)).toEqual(['meshwarden-dashboard.json']);
    expect(parsed.data['meshwarden-dashboard.json']).toBe(await readFile(DASHBOARD, 'utf8'));
  });

  it('takes the sidecar label, its value, the namespace and folder annotations from the values, and refuses a label Kubernetes would', async () => {
    const [map] = dashboards(await renderChart({
      grafanaDashboard: { enabled: true, label: 'grafana.example.com/dashboard', labelValue: 'soc', namespace: 'monitoring', annotations: { grafana_folder: 'Security' } },
    }));
    const parsed = configMapSchema.parse(map);
    expect(parsed.metadata).toMatchObject({ namespace: 'monitoring', annotations: { grafana_folder: 'Security' } });
    expect(parsed.metadata.labels['grafana.example.com/dashboard']).toBe('soc');
    expect(parsed.metadata.labels.grafana_dashboard).toBeUndefined();
    await expect(renderChart({ grafanaDashboard: { enabled: true, label: 'bad label' } })).rejects.toThrow(/grafanaDashboard\.label/);
  });

  it("is in sync: the chart's copy equals deploy/grafana/ (run helm/sync-config.sh after editing the dashboard)", async () => {
    expect(await readFile(join(CHART_DIR, 'files', 'grafana', 'meshwarden-dashboard.json'), 'utf8')).toBe(await readFile(DASHBOARD, 'utf8'));
    expect(await readFile(join(REPO_ROOT, 'helm', 'sync-config.sh'), 'utf8')).toContain('deploy/grafana/meshwarden-dashboard.json');
  });
});

describe('hot reload settings (config.reload)', () => {
  it('are on by default and carried into config.yaml as set, and a malformed duration is refused', async () => {
    expect(serviceConfig(await renderChart()).reload).toEqual({ enabled: true, debounce: 2_000, pollInterval: 30_000 });
    expect(serviceConfig(await renderChart({ config: { reload: { enabled: false, debounce: '500ms', pollInterval: '0s' } } })).reload).toEqual({ enabled: false, debounce: 500, pollInterval: 0 });
    await expect(renderChart({ config: { reload: { enabled: true, debounce: 'soon', pollInterval: '30s' } } })).rejects.toThrow(/config\.reload\.debounce/);
  });
});

describe('playbooks and detectors from existing ConfigMaps (existingConfigMaps)', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('keeps the single config volume when none is named', async () => {
    const manifests = await renderChart();
    const pod = podSpecSchema.parse(only(manifests, 'Deployment')).spec.template.spec;
    expect(pod.volumes.map((v) => v.name)).not.toContain('playbooks');
    expect(serviceConfig(manifests)).toMatchObject({ detectors: '/etc/meshwarden/detectors', playbooks: '/etc/meshwarden/playbooks' });
  });

  it("mounts the chart's playbooks and every named ConfigMap in one projected volume, read-only, and points the engine at it", async () => {
    const manifests = await renderChart({ playbooks: { existingConfigMaps: ['soc-playbooks', 'ml-playbooks'] } });
    expect(serviceConfig(manifests)).toMatchObject({ detectors: '/etc/meshwarden/detectors', playbooks: '/etc/meshwarden-playbooks', reload: { enabled: true } });
    const pod = podSpecSchema.parse(only(manifests, 'Deployment')).spec.template.spec;
    expect(pod.containers[0]?.volumeMounts).toContainEqual({ name: 'playbooks', mountPath: '/etc/meshwarden-playbooks', readOnly: true });
    const sources = pod.volumes.find((v) => v.name === 'playbooks')?.projected?.sources ?? [];
    expect(sources.map((s) => s.configMap.name)).toEqual(['mw-meshwarden-playbooks', 'soc-playbooks', 'ml-playbooks']);
    expect(sources[0]?.configMap.items?.every((item) => item.key === item.path && !item.path.includes('/'))).toBe(true);
    expect(sources.slice(1).map((s) => s.configMap.items)).toEqual([undefined, undefined]);
    // The config volume no longer holds a playbooks/ directory of its own.
    const config = pod.volumes.find((v) => v.name === 'config')?.projected?.sources ?? [];
    expect(config.flatMap((s) => s.configMap.items ?? []).some((item) => item.path.startsWith('playbooks/'))).toBe(false);
  });

  it('loads through the engine loader with the chart files and the ConfigMap keys side by side, laid out as the kubelet writes the volume', async () => {
    const manifests = await renderChart({ detectors: { existingConfigMaps: ['soc-detectors'] }, playbooks: { existingConfigMaps: ['soc-playbooks'] } });
    const external: Record<string, Record<string, string>> = {
      'soc-detectors': { 'soc-egress.yaml': (await readFile(join(REPO_ROOT, 'detectors', 'egress-spike.yaml'), 'utf8')).replace('name: egress-spike', 'name: soc-egress') },
      'soc-playbooks': { 'soc-notify.yaml': (await readFile(join(REPO_ROOT, 'playbooks', 'notify-on-service-degradation.yaml'), 'utf8')).replace('name: notify-on-service-degradation', 'name: soc-notify') },
    };
    const pod = podSpecSchema.parse(only(manifests, 'Deployment')).spec.template.spec;
    const root = await mkdtemp(join(tmpdir(), 'meshwarden-existing-'));
    dirs.push(root);
    const mounted: Record<string, string> = {};
    for (const kind of ['detectors', 'playbooks']) {
      const volume = pod.volumes.find((v) => v.name === kind);
      const dir = join(root, kind);
      const payload = join(dir, '..2025_01_01_00_00_00.000000001');
      await mkdir(payload, { recursive: true });
      for (const { configMap } of volume?.projected?.sources ?? []) {
        const data = external[configMap.name] ?? configMapSchema.parse(manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === configMap.name)).data;
        const items = configMap.items ?? Object.keys(data).map((key) => ({ key, path: key }));
        for (const item of items) await writeFile(join(payload, item.path), data[item.key] ?? '');
      }
      await symlink('..2025_01_01_00_00_00.000000001', join(dir, '..data'));
      for (const entry of await readdir(payload)) await symlink(join('..data', entry), join(dir, entry));
      mounted[kind] = dir;
    }
    const loaded = await loadConfig([mounted.detectors ?? '', mounted.playbooks ?? '']);
    expect(loaded.problems).toEqual([]);
    expect(loaded.detectors.map((d) => d.value.metadata.name)).toContain('soc-egress');
    expect(loaded.playbooks.map((p) => p.value.metadata.name)).toContain('soc-notify');
    expect(loaded.playbooks.length).toBe((await readdir(join(REPO_ROOT, 'playbooks'))).filter((f) => f.endsWith('.yaml')).length + 1);
  });

  it('refuses a name that is not a ConfigMap name', async () => {
    await expect(renderChart({ playbooks: { existingConfigMaps: ['../etc'] } })).rejects.toThrow(/playbooks\.existingConfigMaps/);
  });
});
