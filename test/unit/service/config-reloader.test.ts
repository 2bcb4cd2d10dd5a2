import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../../src/app.js';
import { Ledger, LEDGER_FILE } from '../../../src/audit/ledger.js';
import { loadConfigSet, type ConfigSet } from '../../../src/config/config-set.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { ConfigReloader, type ActiveConfig } from '../../../src/service/config-reloader.js';
import { createLogger } from '../../../src/shared/logger.js';

const DETECTOR = (threshold: number): string => `apiVersion: meshwarden.io/v1
kind: Detector
metadata: { name: new-callee-edges }
spec:
  entity: pod
  threshold: ${threshold}
  severity: high
  features:
    - name: new_edges
      algorithm: { type: threshold, warn: 0.5, critical: 1 }
`;

const STORM = `apiVersion: meshwarden.io/v1
kind: Detector
metadata: { name: error-storm }
spec:
  entity: pod
  threshold: 0.9
  severity: medium
  features:
    - name: ratio_5xx
      algorithm: { type: threshold, warn: 0.2, critical: 0.5 }
`;

const PLAYBOOK = (channel: string): string => `apiVersion: meshwarden.io/v1
kind: Playbook
metadata: { name: tell-sre }
spec:
  trigger: { detectors: [new-callee-edges] }
  steps:
    - action: slack.notify
      params: { channel: "${channel}", text: "{{ entity.key }}" }
`;

/** A misspelt key. */
const BROKEN = `apiVersion: meshwarden.io/v1
kind: Playbook
metadata: { name: broken }
spec:
  trigger: { detectors: [new-callee-edges] }
  stepz: []
  steps:
    - action: slack.notify
      params: { channel: "#x", text: "y" }
`;

/** Valid on its own, but its trigger names a detector that does not exist. */
const ORPHAN = PLAYBOOK('#x').replace('tell-sre', 'orphan').replace('[new-callee-edges]', '[no-such-detector]');

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

interface Harness {
  readonly root: string;
  readonly reloader: ConfigReloader;
  readonly pipeline: Pipeline;
  readonly initial: ConfigSet;
  readonly swaps: ActiveConfig[];
  readonly logs: string[];
  readonly metrics: ReturnType<typeof createMetrics>;
  records(): Promise<{ type: string; data: Record<string, unknown> }[]>;
}

async function harness(): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'meshwarden-reload-'));
  dirs.push(root);
  await mkdir(join(root, 'detectors'));
  await mkdir(join(root, 'playbooks'));
  await writeFile(join(root, 'detectors', 'edges.yaml'), DETECTOR(0.85));
  await writeFile(join(root, 'detectors', 'storm.yaml'), STORM);
  await writeFile(join(root, 'playbooks', 'sre.yaml'), PLAYBOOK('#sre'));
  const load = (): ReturnType<typeof loadConfigSet> => loadConfigSet({
    detectors: join(root, 'detectors'), playbooks: join(root, 'playbooks'), playbookVars: {},
    backends: { kubernetes: false, vault: false, slack: true },
  });
  const first = await load();
  if (!first.ok) throw new Error(JSON.stringify(first.problems));
  const clock = { now: () => Date.UTC(2026, 10, 2) };
  const ledger = await Ledger.open(join(root, 'audit'), clock);
  const pipeline = new Pipeline(first.set.detectors, first.set.playbooks, DEFAULT_PIPELINE_OPTIONS, {
    deadLetters: { add: () => undefined }, ledger,
  });
  const logs: string[] = [];
  const swaps: ActiveConfig[] = [];
  const metrics = createMetrics();
  const reloader = new ConfigReloader({
    load, loadAutoencoders: () => Promise.resolve(new Map()), ledger, metrics,
    logger: createLogger({ destination: { write: (line: string) => { logs.push(line); } } }),
    target: { pipelines: () => [pipeline], executor: () => pipeline.runs, swapped: (next) => { swaps.push(next); } },
  }, { set: first.set, autoencoders: new Map() });
  const recordSchema = z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) }).loose();
  return {
    root, reloader, pipeline, initial: first.set, swaps, logs, metrics,
    records: async () => (await readFile(join(root, 'audit', LEDGER_FILE), 'utf8')).trim().split('\n').map((line) => recordSchema.parse(JSON.parse(line))),
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

async function metricValue(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))?.value;
}

describe('ConfigReloader', () => {
  it('refuses the whole set when one file has problems: the valid change is not applied either, and every problem is logged and recorded', async () => {
    const h = await harness();
    await writeFile(join(h.root, 'playbooks', 'sre.yaml'), PLAYBOOK('#changed'));
    await writeFile(join(h.root, 'playbooks', 'broken.yaml'), BROKEN);
    await writeFile(join(h.root, 'playbooks', 'orphan.yaml'), ORPHAN);
    const outcome = await h.reloader.reload();
    expect(outcome.result).toBe('refused');
    expect(h.swaps).toEqual([]);
    expect(h.reloader.current.set.sha256).toBe(h.initial.sha256);
    expect(h.reloader.current.set.playbooks.map((p) => p.spec.steps[0]?.params)).toEqual([{ channel: '#sre', text: '{{ entity.key }}' }]);
    const logged = h.logs.map((line) => z.object({ level: z.number(), msg: z.string() }).loose().parse(JSON.parse(line)));
    const error = logged.find((l) => l.level === 50);
    expect(error?.msg).toMatch(/^configuration reload refused: 2 problem\(s\); the running detectors and playbooks stay/);
    expect(error?.msg).toContain('broken.yaml:6:3 unknown key "stepz"');
    expect(error?.msg).toContain('no detector is named "no-such-detector"');
    const [record] = await h.records();
    expect(record?.type).toBe('decision');
    expect(record?.data).toMatchObject({ event: 'config-reload', result: 'refused', running: h.initial.sha256, problemCount: 2 });
    const files = z.array(z.object({ file: z.string(), sha256: z.string() }).loose()).parse(record?.data.files);
    expect(files.find((f) => f.file.endsWith('broken.yaml'))?.sha256).toBe(sha256(BROKEN));
    expect(files.find((f) => f.file.endsWith('sre.yaml'))?.sha256).toBe(sha256(PLAYBOOK('#changed')));
    expect(await metricValue(h.metrics, 'meshwarden_config_reloads_total', { result: 'refused' })).toBe(1);
    expect(await metricValue(h.metrics, 'meshwarden_config_loaded_info', { sha256: h.initial.sha256 })).toBe(1);
  });

  it('accepts a set that checks: a ledger record names each file sha256 and says the changed detector starts fresh', async () => {
    const h = await harness();
    await writeFile(join(h.root, 'detectors', 'edges.yaml'), DETECTOR(0.9));
    await writeFile(join(h.root, 'playbooks', 'sre.yaml'), PLAYBOOK('#changed'));
    const outcome = await h.reloader.reload();
    expect(outcome).toMatchObject({ result: 'accepted', fresh: ['new-callee-edges'] });
    expect(h.swaps).toHaveLength(1);
    const [record] = await h.records();
    expect(record?.data).toMatchObject({
      event: 'config-reload', result: 'accepted', previous: h.initial.sha256,
      detectors: { added: [], changed: ['new-callee-edges'], removed: [], unchanged: 1 },
      playbooks: { added: [], changed: ['tell-sre'], removed: [], unchanged: 0 },
      freshBaselines: ['new-callee-edges'],
    });
    expect(String(record?.data.note)).toContain('changed detectors start with fresh baselines: new-callee-edges');
    const files = z.array(z.object({ file: z.string(), sha256: z.string(), bytes: z.number() })).parse(record?.data.files);
    expect(files.map((f) => [f.file.split('/').slice(-2).join('/'), f.sha256])).toEqual([
      ['detectors/edges.yaml', sha256(DETECTOR(0.9))],
      ['detectors/storm.yaml', sha256(STORM)],
      ['playbooks/sre.yaml', sha256(PLAYBOOK('#changed'))],
    ]);
    const now = h.reloader.current.set.sha256;
    expect(now).not.toBe(h.initial.sha256);
    expect(await metricValue(h.metrics, 'meshwarden_config_loaded_info', { sha256: now })).toBe(1);
    expect(await metricValue(h.metrics, 'meshwarden_config_loaded_info', { sha256: h.initial.sha256 })).toBeUndefined();
    expect(await metricValue(h.metrics, 'meshwarden_config_reloads_total', { result: 'accepted' })).toBe(1);
  });

  it('tries a set once: the same files again (another watch event, the next poll) record nothing', async () => {
    const h = await harness();
    await writeFile(join(h.root, 'playbooks', 'broken.yaml'), BROKEN);
    expect((await h.reloader.reload()).result).toBe('refused');
    expect((await h.reloader.reload()).result).toBe('unchanged');
    await rm(join(h.root, 'playbooks', 'broken.yaml'));
    expect((await h.reloader.reload()).result).toBe('accepted');
    expect((await h.reloader.reload()).result).toBe('unchanged');
    expect((await h.records()).map((r) => r.data.result)).toEqual(['refused', 'accepted']);
  });

  it('keeps the baselines of unchanged detectors and drops those of a changed one', () => {
    const before = {
      version: 1 as const,
      scorers: { 'new-callee-edges|pod:a|new_edges': { algorithm: 'threshold', version: 1, state: { x: 1 } }, 'error-storm|pod:a|ratio_5xx': { algorithm: 'threshold', version: 1, state: { y: 1 } } },
      streaks: { 'pod:a': { 'new-callee-edges|new_edges': 2, 'error-storm|ratio_5xx': 3 } },
      horizons: {},
    };
    const pipeline = new Pipeline([], [], DEFAULT_PIPELINE_OPTIONS, { deadLetters: { add: () => undefined }, ledger: { append: () => undefined, flush: () => Promise.resolve() } }, { detectors: before });
    pipeline.reconfigure([], [], new Set(['new-callee-edges']));
    // Neither detector is in the new set: both are dropped.
    expect(pipeline.state().detectors).toMatchObject({ scorers: {}, streaks: {} });
    const kept = new Pipeline([], [], DEFAULT_PIPELINE_OPTIONS, { deadLetters: { add: () => undefined }, ledger: { append: () => undefined, flush: () => Promise.resolve() } }, { detectors: before });
    return loadSpecs().then(({ edges, storm }) => {
      kept.reconfigure([edges, storm], [], new Set(['new-callee-edges']));
      expect(kept.state().detectors).toEqual({
        version: 1, scorers: { 'error-storm|pod:a|ratio_5xx': { algorithm: 'threshold', version: 1, state: { y: 1 } } }, streaks: { 'pod:a': { 'error-storm|ratio_5xx': 3 } }, horizons: {},
      });
    });
  });
});

async function loadSpecs(): Promise<{ edges: ConfigSet['detectors'][number]; storm: ConfigSet['detectors'][number] }> {
  const root = await mkdtemp(join(tmpdir(), 'meshwarden-reload-specs-'));
  dirs.push(root);
  await writeFile(join(root, 'edges.yaml'), DETECTOR(0.85));
  await writeFile(join(root, 'storm.yaml'), STORM);
  await mkdir(join(root, 'none'));
  const loaded = await loadConfigSet({ detectors: root, playbooks: join(root, 'none'), playbookVars: {}, backends: { kubernetes: false, vault: false, slack: false } });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const [edges, storm] = loaded.set.detectors;
  if (!edges || !storm) throw new Error('detectors missing');
  return { edges, storm };
}
