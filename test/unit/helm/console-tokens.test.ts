import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { serviceConfigSchema } from '../../../src/config/service-config.js';
import { only, renderChart, templateChart, type Manifest } from './helm-chart.js';

const podSpec = z.object({
  spec: z.object({
    template: z.object({
      spec: z.object({
        containers: z.array(z.object({ volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() })) }).loose()),
        volumes: z.array(z.object({ name: z.string() }).loose()),
      }).loose(),
    }).loose(),
  }).loose(),
}).loose();

function configOf(manifests: readonly Manifest[]): ReturnType<typeof serviceConfigSchema.parse> {
  const data = z.object({ data: z.record(z.string(), z.string()) }).loose().parse(only(manifests, 'ConfigMap', '-config')).data;
  return serviceConfigSchema.parse(parse(data['config.yaml'] ?? ''));
}

describe('the console tokens in the chart', () => {
  it('mounts each token from its Secret read-only and binds it to its user in the config', async () => {
    const manifests = await renderChart({
      secrets: { console: { existingSecret: 'meshwarden-console', tokens: [{ name: 'alice-laptop', user: 'U0ALICE', key: 'alice' }, { name: 'bob', user: 'U0BOB', key: 'bob' }] } },
    });
    const spec = podSpec.parse(only(manifests, 'Deployment')).spec.template.spec;
    expect(spec.containers[0]?.volumeMounts).toContainEqual({ name: 'console-tokens', mountPath: '/etc/meshwarden-console', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'console-tokens', secret: { secretName: 'meshwarden-console', defaultMode: 0o440, items: [{ key: 'alice', path: 'alice' }, { key: 'bob', path: 'bob' }] } });
    expect(configOf(manifests).console.tokens).toEqual([
      { name: 'alice-laptop', user: 'U0ALICE', file: '/etc/meshwarden-console/alice' }, { name: 'bob', user: 'U0BOB', file: '/etc/meshwarden-console/bob' },
    ]);
  });

  it('serves no console API and mounts nothing by default; tokens without their Secret fail the render', async () => {
    const manifests = await renderChart({});
    expect(podSpec.parse(only(manifests, 'Deployment')).spec.template.spec.volumes.map((v) => v.name)).not.toContain('console-tokens');
    expect(configOf(manifests).console.tokens).toEqual([]);
    const noSecret = await templateChart({ secrets: { console: { tokens: [{ name: 'alice', user: 'U0ALICE', key: 'alice' }] } } });
    expect(noSecret.stderr).toContain('secrets.console.tokens: name the Secret holding them in secrets.console.existingSecret');
    const badUser = await templateChart({ secrets: { console: { existingSecret: 's', tokens: [{ name: 'alice', user: 'alice', key: 'alice' }] } } });
    expect(badUser.ok).toBe(false);
    expect(badUser.stderr).toContain('user');
  });
});
