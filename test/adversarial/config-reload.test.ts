import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigSet } from '../../src/config/config-set.js';
import { createMetrics } from '../../src/server/metrics.js';
import { ConfigReloader } from '../../src/service/config-reloader.js';
import { silentLogger } from '../../src/shared/logger.js';

// Whoever can change what the playbooks directory holds (a ConfigMap writer, a node-level process
// that can place a link) tries to make the running engine load a file from elsewhere, or to take
// it down with one it cannot afford to read. Every such set is refused whole; the running one stays.

const DETECTOR = `apiVersion: meshwarden.io/v1
kind: Detector
metadata: { name: new-callee-edges }
spec:
  entity: pod
  threshold: 0.85
  severity: high
  features:
    - name: new_edges
      algorithm: { type: threshold, warn: 0.5, critical: 1 }
`;

const PLAYBOOK = (name: string, channel: string): string => `apiVersion: meshwarden.io/v1
kind: Playbook
metadata: { name: ${name} }
spec:
  trigger: { detectors: [new-callee-edges] }
  steps:
    - action: slack.notify
      params: { channel: "${channel}", text: "{{ entity.key }}" }
`;

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** A playbooks directory laid out as the kubelet writes a ConfigMap volume, with a way to swap it. */
async function setup(): Promise<{ root: string; playbooks: string; reloader: ConfigReloader; swapTo: (link: string, target: string) => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'meshwarden-reload-attack-'));
  roots.push(root);
  const detectors = join(root, 'detectors');
  const playbooks = join(root, 'playbooks');
  await mkdir(detectors);
  await mkdir(join(playbooks, '..ts_1'), { recursive: true });
  await writeFile(join(detectors, 'edges.yaml'), DETECTOR);
  await writeFile(join(playbooks, '..ts_1', 'tell.yaml'), PLAYBOOK('tell', '#sre'));
  await symlink('..ts_1', join(playbooks, '..data'));
  await symlink('..data/tell.yaml', join(playbooks, 'tell.yaml'));
  const load = (): ReturnType<typeof loadConfigSet> => loadConfigSet({ detectors, playbooks, playbookVars: {}, backends: { kubernetes: false, vault: false, slack: true } });
  const first = await load();
  if (!first.ok) throw new Error(JSON.stringify(first.problems));
  const reloader = new ConfigReloader({
    load, loadAutoencoders: () => Promise.resolve(new Map()), logger: silentLogger(), metrics: createMetrics(),
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
    target: { pipelines: () => [], executor: () => undefined, swapped: () => undefined },
  }, { set: first.set, autoencoders: new Map() });
  // The kubelet's swap: a new timestamped directory whose entry is the attacker's link, then ..data renamed onto it.
  const swapTo = async (link: string, target: string): Promise<void> => {
    await mkdir(join(playbooks, '..ts_2'));
    await symlink(target, join(playbooks, '..ts_2', link));
    await symlink('..ts_2', join(playbooks, '..data_tmp'));
    await rename(join(playbooks, '..data_tmp'), join(playbooks, '..data'));
  };
  return { root, playbooks, reloader, swapTo };
}

describe('a configuration reload under attack', () => {
  it('refuses a playbook swapped to a link that leaves the playbooks directory, however valid the file it points at', async () => {
    const { root, reloader, swapTo } = await setup();
    const outside = join(root, 'elsewhere.yaml');
    await writeFile(outside, PLAYBOOK('tell', '#attacker'));
    await swapTo('tell.yaml', outside);
    const outcome = await reloader.reload();
    expect(outcome.result).toBe('refused');
    expect(outcome.result === 'refused' ? outcome.problems.join('\n') : '').toMatch(/tell\.yaml:1:1 the file links to ".*elsewhere\.yaml", outside ".*playbooks"; configuration files must be inside their directory/);
    expect(reloader.current.set.playbooks.map((p) => p.spec.steps[0]?.params)).toEqual([{ channel: '#sre', text: '{{ entity.key }}' }]);
  });

  it('refuses a playbook linked to /dev/zero without reading from it', async () => {
    const { reloader, swapTo } = await setup();
    await swapTo('tell.yaml', '/dev/zero');
    const outcome = await reloader.reload();
    expect(outcome.result).toBe('refused');
    expect(outcome.result === 'refused' ? outcome.problems.join('\n') : '').toMatch(/tell\.yaml:1:1 the file links to "\/dev\/zero", outside/);
  });

  it('refuses a FIFO inside the directory without waiting for a writer', async () => {
    const { playbooks, reloader } = await setup();
    execFileSync('mkfifo', [join(playbooks, '..data', 'pipe.yaml')]);
    await symlink('..data/pipe.yaml', join(playbooks, 'pipe.yaml'));
    const outcome = await reloader.reload();
    expect(outcome.result).toBe('refused');
    expect(outcome.result === 'refused' ? outcome.problems.join('\n') : '').toMatch(/pipe\.yaml:1:1 not a regular file; configuration files must be plain YAML files/);
    expect(reloader.current.set.playbooks.map((p) => p.metadata.name)).toEqual(['tell']);
  });

  it('refuses a huge playbook by its size, before parsing it, and keeps the running set', async () => {
    const { playbooks, reloader } = await setup();
    await writeFile(join(playbooks, '..data', 'huge.yaml'), `${PLAYBOOK('huge', '#x')}# ${'x'.repeat(8 * 1024 * 1024)}\n`);
    await symlink('..data/huge.yaml', join(playbooks, 'huge.yaml'));
    const outcome = await reloader.reload();
    expect(outcome.result).toBe('refused');
    expect(outcome.result === 'refused' ? outcome.problems.join('\n') : '').toMatch(/huge\.yaml:1:1 the file is 8,388,8\d\d bytes; configuration files may hold at most 1,048,576, split it into several files/);
    expect(reloader.current.set.playbooks.map((p) => p.metadata.name)).toEqual(['tell']);
  });
});
