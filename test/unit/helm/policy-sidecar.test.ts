import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CHART_DIR, only, renderChart, renderedServiceConfig, REPO_ROOT, templateChart } from './helm-chart.js';

const podSpec = z.object({
  spec: z.object({
    template: z.object({
      spec: z.object({
        containers: z.array(z.object({ name: z.string(), image: z.string(), args: z.array(z.string()).optional(), volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string() }).loose()).optional() }).loose()),
        volumes: z.array(z.object({ name: z.string(), configMap: z.object({ name: z.string() }).loose().optional() }).loose()),
      }).loose(),
    }).loose(),
  }).loose(),
}).loose();

const configMap = z.object({ data: z.record(z.string(), z.string()) }).loose();

describe('the OPA sidecar (policy.opa.sidecar.enabled)', () => {
  it('is off by default: one container, the policy gate off', async () => {
    const manifests = await renderChart();
    const pod = podSpec.parse(only(manifests, 'Deployment')).spec.template.spec;
    expect(pod.containers.map((c) => c.name)).toEqual(['meshwarden']);
    expect(renderedServiceConfig(manifests).policy.enabled).toBe(false);
  });

  it('runs OPA on the pod loopback with the shipped policies and points the engine at it', async () => {
    const manifests = await renderChart({ policy: { opa: { sidecar: { enabled: true, image: { repository: 'registry.local/opa', tag: '1.22.4-static' } } } } });
    const pod = podSpec.parse(only(manifests, 'Deployment')).spec.template.spec;
    const opa = pod.containers.find((c) => c.name === 'opa');
    expect(opa?.image).toBe('registry.local/opa:1.22.4-static');
    expect(opa?.args).toEqual(['run', '--server', '--addr', '127.0.0.1:8181', '--disable-telemetry', '--log-level', 'error', '/policies']);
    expect(opa?.volumeMounts).toContainEqual(expect.objectContaining({ name: 'policies', mountPath: '/policies' }));
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'policies', configMap: { name: 'mw-meshwarden-policies' } }));
    expect(renderedServiceConfig(manifests).policy).toMatchObject({ enabled: true, url: 'http://127.0.0.1:8181', path: 'meshwarden/decision', timeout: 500 });
    // The shipped policies byte for byte, and never their tests.
    const data = configMap.parse(only(manifests, 'ConfigMap', '-policies')).data;
    expect(Object.keys(data).sort()).toEqual(['change_freeze.rego', 'decision.rego', 'last_ready_replica.rego', 'validated_rollback.rego']);
    for (const [name, text] of Object.entries(data)) expect(text).toBe(readFileSync(join(REPO_ROOT, 'policies', name), 'utf8'));
  });

  it('loads an existing ConfigMap instead, and renders none of its own', async () => {
    const manifests = await renderChart({ policy: { opa: { sidecar: { enabled: true, existingConfigMap: 'soc-policies', port: 9181 } } } });
    const pod = podSpec.parse(only(manifests, 'Deployment')).spec.template.spec;
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'policies', configMap: { name: 'soc-policies' } }));
    expect(manifests.filter((m) => m.metadata.name.endsWith('-policies'))).toEqual([]);
    expect(renderedServiceConfig(manifests).policy.url).toBe('http://127.0.0.1:9181');
  });

  it('refuses policy.enabled without a URL or the sidecar', async () => {
    const outcome = await templateChart({ policy: { enabled: true } });
    expect(outcome.ok).toBe(false);
    expect(outcome.stderr).toContain('policy.url: set the URL of your OPA (e.g. http://opa.opa.svc:8181) when policy.enabled is true, or enable policy.opa.sidecar');
  });

  it('ships in the chart the same policies as policies/', () => {
    for (const name of ['change_freeze.rego', 'decision.rego', 'last_ready_replica.rego', 'validated_rollback.rego']) {
      expect(readFileSync(join(CHART_DIR, 'files', 'policies', name), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'policies', name), 'utf8'));
    }
  });
});
