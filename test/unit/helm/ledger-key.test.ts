import { describe, expect, it } from 'vitest';
import { mountingPodSpec, only, renderChart, renderedServiceConfig, templateChart } from './helm-chart.js';

describe('the audit ledger key in the chart', () => {
  it('mounts the ledger key Secret read-only outside the state directory and points the config at it', async () => {
    const manifests = await renderChart({ secrets: { ledger: { existingSecret: 'meshwarden-ledger', key: 'ed25519.pem' } } });
    const spec = mountingPodSpec.parse(only(manifests, 'Deployment')).spec.template.spec;
    expect(spec.containers[0]?.volumeMounts).toContainEqual({ name: 'ledger-key', mountPath: '/etc/meshwarden-ledger', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'ledger-key', secret: { secretName: 'meshwarden-ledger', defaultMode: 0o440, items: [{ key: 'ed25519.pem', path: 'ed25519.pem' }] } });
    expect(renderedServiceConfig(manifests).ledger).toEqual({ key: { file: '/etc/meshwarden-ledger/ed25519.pem' }, checkpointEvery: 0 });
  });

  it('leaves the ledger unsigned and mounts nothing by default', async () => {
    const manifests = await renderChart();
    expect(mountingPodSpec.parse(only(manifests, 'Deployment')).spec.template.spec.volumes.map((v) => v.name)).not.toContain('ledger-key');
    expect(renderedServiceConfig(manifests).ledger).toEqual({ checkpointEvery: 0 });
  });

  it('signs with a Vault transit key when one is named, and refuses transit without Vault or two keys at once', async () => {
    const vault = { enabled: true, address: 'http://vault:8200', kubernetesRole: 'meshwarden' };
    const manifests = await renderChart({ config: { vault, ledger: { transitKey: 'transit/meshwarden-ledger', checkpointEvery: '10s' } } });
    expect(renderedServiceConfig(manifests).ledger).toEqual({ key: { transit: 'transit/meshwarden-ledger' }, checkpointEvery: 10_000 });
    const noVault = await templateChart({ config: { ledger: { transitKey: 'transit/meshwarden-ledger' } } });
    expect(noVault.stderr).toContain('config.ledger.transitKey: signing with Vault transit needs config.vault.enabled');
    const both = await templateChart({ config: { vault, ledger: { transitKey: 'transit/k' } }, secrets: { ledger: { existingSecret: 'meshwarden-ledger' } } });
    expect(both.stderr).toContain('sign the ledger with one key, not both');
  });
});
