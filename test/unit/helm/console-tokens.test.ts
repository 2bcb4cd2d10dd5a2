import { describe, expect, it } from 'vitest';
import { mountingPodSpec, only, renderChart, renderedServiceConfig, templateChart } from './helm-chart.js';

describe('the console tokens in the chart', () => {
  it('mounts each token from its Secret read-only and binds it to its user in the config', async () => {
    const manifests = await renderChart({
      secrets: { console: { existingSecret: 'meshwarden-console', tokens: [{ name: 'alice-laptop', user: 'U0ALICE', key: 'alice' }, { name: 'bob', user: 'U0BOB', key: 'bob' }] } },
    });
    const spec = mountingPodSpec.parse(only(manifests, 'Deployment')).spec.template.spec;
    expect(spec.containers[0]?.volumeMounts).toContainEqual({ name: 'console-tokens', mountPath: '/etc/meshwarden-console', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'console-tokens', secret: { secretName: 'meshwarden-console', defaultMode: 0o440, items: [{ key: 'alice', path: 'alice' }, { key: 'bob', path: 'bob' }] } });
    expect(renderedServiceConfig(manifests).console.tokens).toEqual([
      { name: 'alice-laptop', user: 'U0ALICE', file: '/etc/meshwarden-console/alice' }, { name: 'bob', user: 'U0BOB', file: '/etc/meshwarden-console/bob' },
    ]);
  });

  it('serves no console API and mounts nothing by default; tokens without their Secret fail the render', async () => {
    const manifests = await renderChart({});
    expect(mountingPodSpec.parse(only(manifests, 'Deployment')).spec.template.spec.volumes.map((v) => v.name)).not.toContain('console-tokens');
    expect(renderedServiceConfig(manifests).console.tokens).toEqual([]);
    const noSecret = await templateChart({ secrets: { console: { tokens: [{ name: 'alice', user: 'U0ALICE', key: 'alice' }] } } });
    expect(noSecret.stderr).toContain('secrets.console.tokens: name the Secret holding them in secrets.console.existingSecret');
    const badUser = await templateChart({ secrets: { console: { existingSecret: 's', tokens: [{ name: 'alice', user: 'alice', key: 'alice' }] } } });
    expect(badUser.ok).toBe(false);
    expect(badUser.stderr).toContain('user');
  });
});
