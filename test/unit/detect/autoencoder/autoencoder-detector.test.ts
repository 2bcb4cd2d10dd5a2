import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { autoencoderConfigSchema, type AutoencoderInput } from '../../../../src/detect/autoencoder/autoencoder-config.js';
import { AutoencoderDetector, autoencoderStateDir, type VectorVerdict } from '../../../../src/detect/autoencoder/autoencoder-detector.js';
import { autoencoderEvidence } from '../../../../src/detect/autoencoder/autoencoder-evidence.js';
import { AutoencoderStateError } from '../../../../src/detect/autoencoder/autoencoder-state-error.js';
import { loadTensorflow, type TensorflowRuntime } from '../../../../src/detect/autoencoder/tensorflow-runtime.js';
import { TrainingThread } from '../../../../src/detect/autoencoder/training-thread.js';
import { ManualClock } from '../../../../src/shared/clock.js';
import { silentLogger } from '../../../../src/shared/logger.js';
import { CREDENTIAL_STUFFING, EXFILTRATION, MeshWindows, T0, WORKLOAD_FEATURES } from './mesh-windows.js';

// Small models and few epochs keep each training under a couple of seconds on a busy machine.
const BASE: AutoencoderInput = { type: 'autoencoder', features: [...WORKLOAD_FEATURES], trainAfter: 200, retrainEvery: 300, epochs: 15 };

const logger = silentLogger();
const clock = new ManualClock(T0);
let tensorflow: TensorflowRuntime;
const open: AutoencoderDetector[] = [];
const dirs: string[] = [];

function detector(overrides: Partial<AutoencoderInput> = {}, stateDir?: string): AutoencoderDetector {
  const config = autoencoderConfigSchema.parse({ ...BASE, ...overrides });
  const d = new AutoencoderDetector(config, { logger, clock, tensorflow, ...(stateDir !== undefined ? { stateDir } : {}) });
  open.push(d);
  return d;
}

async function trained(mesh: MeshWindows, overrides: Partial<AutoencoderInput> = {}, stateDir?: string): Promise<AutoencoderDetector> {
  const d = detector(overrides, stateDir);
  expect(d.observeBatch(mesh.take(200)).every((v) => v === undefined)).toBe(true);
  expect(await d.maybeRetrain()).toMatchObject({ status: 'trained', version: 1, windows: 200 });
  return d;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'meshwarden-autoencoder-'));
  dirs.push(dir);
  return dir;
}

function scoreOf(verdict: VectorVerdict | undefined): number {
  if (verdict === undefined) throw new Error('expected a verdict');
  return verdict.score;
}

beforeAll(async () => {
  tensorflow = await loadTensorflow({ logger }, { prefer: 'cpu' });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('AutoencoderDetector', () => {
  let shared: AutoencoderDetector;
  let sharedMesh: MeshWindows;
  let baselineScores: number[];

  describe('with a model trained on a normal baseline', () => {
    beforeAll(async () => {
      sharedMesh = new MeshWindows(1);
      const config = autoencoderConfigSchema.parse({ ...BASE, retrainEvery: 1_000_000 });
      shared = new AutoencoderDetector(config, { logger, clock, tensorflow });
      shared.observeBatch(sharedMesh.take(200));
      await shared.maybeRetrain();
      baselineScores = shared.observeBatch(sharedMesh.take(200)).map(scoreOf);
    }, 60_000);

    afterAll(async () => {
      await shared.close();
    });

    it('scores an injected multi-feature anomaly far above every baseline window', () => {
      const exfiltration = scoreOf(shared.observe(sharedMesh.next(EXFILTRATION)));
      const stuffing = scoreOf(shared.observe(sharedMesh.next(CREDENTIAL_STUFFING)));
      const worstBaseline = Math.max(...baselineScores);
      expect(worstBaseline).toBeLessThan(0.7);
      expect(exfiltration).toBeGreaterThan(0.9);
      expect(stuffing).toBeGreaterThan(0.9);
      expect(Math.min(exfiltration, stuffing) - worstBaseline).toBeGreaterThan(0.25);
    });

    it('places the learned quantile at 0.5: few baseline windows score above it', () => {
      const above = baselineScores.filter((s) => s >= 0.5).length;
      expect(above).toBeLessThanOrEqual(10);
      const sorted = [...baselineScores].sort((a, b) => a - b);
      expect(sorted[100]).toBeLessThan(0.4);
    });

    it('attributes the reconstruction error to the features that changed', () => {
      const exfiltration = shared.observe(sharedMesh.next(EXFILTRATION));
      expect(exfiltration?.features[0]?.feature).toBe('egress_bytes');
      const stuffing = shared.observe(sharedMesh.next(CREDENTIAL_STUFFING));
      const top = stuffing?.features.slice(0, 2).map((f) => f.feature).sort();
      expect(top).toEqual(['ratio_401_403', 'ratio_4xx']);
      expect((stuffing?.features[0]?.contribution ?? 0) + (stuffing?.features[1]?.contribution ?? 0)).toBeGreaterThan(0.9);
      const shares = stuffing?.features.reduce((sum, f) => sum + f.contribution, 0);
      expect(shares).toBeCloseTo(1, 9);
      const refused = stuffing?.features.find((f) => f.feature === 'ratio_401_403');
      expect(refused?.observed).toBe(0.6);
      expect(refused?.expected).toBeLessThan(0.1);
    });

    it('turns a verdict into evidence for the features carrying the error', () => {
      const verdict = shared.observe(sharedMesh.next(CREDENTIAL_STUFFING));
      if (verdict === undefined) throw new Error('expected a verdict');
      const evidence = autoencoderEvidence(verdict);
      expect(evidence.map((e) => e.feature).sort()).toEqual(['ratio_401_403', 'ratio_4xx']);
      expect(evidence[0]).toMatchObject({ score: verdict.score, observed: expect.any(Number) as number });
      expect(evidence[0]?.details?.[0]).toMatch(/^\d+% of the reconstruction error \(model v1\)$/);
    });

    it('keeps scores in [0, 1), distinct, and growing with the size of the anomaly', () => {
      expect(new Set(baselineScores).size).toBe(baselineScores.length);
      for (const s of baselineScores) {
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThan(1);
      }
      const mesh = new MeshWindows(99);
      const normal = mesh.next();
      const growing = [10, 1e3, 1e6, 1e9, 1e12, 1e15].map((factor) =>
        scoreOf(shared.observe({ ...normal, features: { ...normal.features, egress_bytes: (normal.features.egress_bytes ?? 0) * factor } })),
      );
      for (let i = 1; i < growing.length; i++) expect(growing[i]).toBeGreaterThan(growing[i - 1] ?? 1);
      expect(growing.at(-1)).toBeLessThan(1);
    });

    it('judges a window on the features it has and skips one missing most of them', () => {
      const partial = shared.observe(sharedMesh.next({ drop: ['latency_p95'] }));
      expect(partial?.missing).toEqual(['latency_p95']);
      expect(partial?.features.map((f) => f.feature)).not.toContain('latency_p95');
      expect(partial?.score).toBeLessThan(0.8);
      const attack = shared.observe(sharedMesh.next({ ...EXFILTRATION, drop: ['latency_p95', 'bytes_out'] }));
      expect(attack?.score).toBeGreaterThan(0.9);
      const sparse = sharedMesh.next({ drop: ['request_rate', 'ratio_4xx', 'ratio_5xx', 'ratio_401_403', 'latency_p95'] });
      expect(shared.observe(sparse)).toBeUndefined();
    });
  });

  it('scores nothing until trainAfter clean windows are kept, then trains its first model', async () => {
    const d = detector();
    const mesh = new MeshWindows(3);
    expect(d.observeBatch(mesh.take(150)).every((v) => v === undefined)).toBe(true);
    expect(d.retrainDue).toBe(false);
    expect(await d.maybeRetrain()).toEqual({ status: 'insufficient-data' });
    d.observeBatch(mesh.take(50));
    expect(d.retrainDue).toBe(true);
    expect(await d.maybeRetrain()).toMatchObject({ status: 'trained', version: 1 });
    expect(d.observe(mesh.next())?.modelVersion).toBe(1);
    expect(await d.maybeRetrain()).toEqual({ status: 'not-due' });
  }, 60_000);

  it('reports a failed training, keeps its windows and retries only after retrainEvery more windows', async () => {
    const broken: TensorflowRuntime = {
      ...tensorflow,
      tf: new Proxy(tensorflow.tf, {
        get: (target, property): unknown => (property === 'sequential' ? () => { throw new Error('no memory left'); } : Reflect.get(target, property)),
      }),
    };
    const config = autoencoderConfigSchema.parse({ ...BASE, retrainEvery: 100 });
    const d = new AutoencoderDetector(config, { logger, clock, tensorflow: broken });
    const mesh = new MeshWindows(4);
    d.observeBatch(mesh.take(200));
    expect(await d.maybeRetrain()).toEqual({ status: 'failed', reason: 'no memory left' });
    expect(d.status).toMatchObject({ modelVersion: undefined, trainingWindows: 200 });
    d.observeBatch(mesh.take(99));
    expect(d.retrainDue).toBe(false);
    d.observe(mesh.next());
    expect(d.retrainDue).toBe(true);
    await d.close();
  });

  it('trains the same model from the same windows and seed', async () => {
    const a = await trained(new MeshWindows(5));
    const b = await trained(new MeshWindows(5));
    const probe = new MeshWindows(6).take(20);
    expect(b.observeBatch(probe).map(scoreOf)).toEqual(a.observeBatch(probe).map(scoreOf));
  }, 60_000);

  it('keeps scoring with the previous model while the next one trains', async () => {
    const mesh = new MeshWindows(8);
    const d = await trained(mesh, { retrainEvery: 50 });
    d.observeBatch(mesh.take(50));
    const training = d.maybeRetrain();
    expect(d.status.training).toBe(true);
    expect(await d.maybeRetrain()).toEqual({ status: 'busy' });
    expect(d.observe(mesh.next())?.modelVersion).toBe(1);
    expect(await training).toMatchObject({ status: 'trained', version: 2 });
    expect(d.observe(mesh.next())?.modelVersion).toBe(2);
  }, 60_000);

  it('survives a save and a reload with the same scores, its manifest and its training windows', async () => {
    const dir = autoencoderStateDir(await tempDir(), 'mesh-autoencoder');
    const mesh = new MeshWindows(11);
    const first = await trained(mesh, {}, dir);
    first.observeBatch(mesh.take(30));
    await first.save();

    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'training-windows.json', 'v000001']);
    expect((await readdir(join(dir, 'v000001'))).sort()).toEqual(['model.json', 'weights.bin']);
    const manifest: unknown = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'meshwarden.io/autoencoder-manifest/v1',
      version: 1,
      backend: 'cpu',
      featureSchema: { names: [...WORKLOAD_FEATURES] },
      architecture: { inputs: 18, hidden: [8, 3], outputs: 9, seed: 42 },
      training: { windows: 200, validationWindows: 40, excludedByGuard: 0 },
      errorQuantile: { quantile: 0.995 },
      artifacts: { dir: 'v000001' },
    });

    const probe = new MeshWindows(12).take(40);
    probe.push(new MeshWindows(13).next(EXFILTRATION));
    const before = first.observeBatch(probe).map(scoreOf);
    const config = autoencoderConfigSchema.parse(BASE);
    const second = await AutoencoderDetector.load(config, { logger, clock, tensorflow, stateDir: dir });
    open.push(second);
    expect(second.manifest).toEqual(first.manifest);
    expect(second.status).toMatchObject({ modelVersion: 1, trainingWindows: 230, windowsSinceTraining: 30 });
    expect(second.observeBatch(probe).map(scoreOf)).toEqual(before);
  }, 60_000);

  it('refuses a saved model trained on another feature list, and says which features differ', async () => {
    const dir = await tempDir();
    const d = await trained(new MeshWindows(21), {}, dir);
    await d.save();
    const fewer = autoencoderConfigSchema.parse({ ...BASE, features: [...WORKLOAD_FEATURES.filter((f) => f !== 'distinct_peers'), 'distinct_paths'] });
    const refusal = AutoencoderDetector.load(fewer, { logger, clock, tensorflow, stateDir: dir });
    await expect(refusal).rejects.toBeInstanceOf(AutoencoderStateError);
    await expect(refusal).rejects.toMatchObject({
      code: 'autoencoder-schema-mismatch',
      message: expect.stringContaining('model v1 was trained on features [request_rate, ratio_4xx') as string,
    });
    await expect(refusal).rejects.toThrow('(no longer read: distinct_peers; new: distinct_paths); restore the feature list, or remove the folder to train a new model');
    // The refused detector does not keep its training thread: held by nothing else, the thread ends.
    const thread = new TrainingThread(tensorflow, logger);
    await expect(AutoencoderDetector.load(fewer, { logger, clock, tensorflow, stateDir: dir, trainingThread: thread })).rejects.toBeInstanceOf(AutoencoderStateError);
    expect(thread.usable).toBe(false);

    const reordered = autoencoderConfigSchema.parse({ ...BASE, features: [...WORKLOAD_FEATURES].reverse() });
    await expect(AutoencoderDetector.load(reordered, { logger, clock, tensorflow, stateDir: dir })).rejects.toThrow('the same features in another order');

    const fresh = await AutoencoderDetector.load(fewer, { logger, clock, tensorflow, stateDir: dir }, { onSchemaMismatch: 'retrain' });
    open.push(fresh);
    expect(fresh.status).toMatchObject({ modelVersion: undefined, trainingWindows: 0 });
    fresh.observeBatch(new MeshWindows(22).take(200));
    expect(await fresh.maybeRetrain()).toMatchObject({ status: 'trained', version: 2, saved: true });
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'training-windows.json', 'v000002']);
  }, 60_000);

  it('refuses a saved model whose weights were modified', async () => {
    const dir = await tempDir();
    const d = await trained(new MeshWindows(31), {}, dir);
    await d.save();
    const weights = join(dir, 'v000001', 'weights.bin');
    const bytes = await readFile(weights);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await writeFile(weights, bytes);
    await expect(AutoencoderDetector.load(autoencoderConfigSchema.parse(BASE), { logger, clock, tensorflow, stateDir: dir })).rejects.toMatchObject({
      code: 'autoencoder-state-invalid',
      message: expect.stringContaining('the weights do not match the manifest') as string,
    });
  }, 60_000);

  it('starts fresh from an empty state folder', async () => {
    const dir = join(await tempDir(), 'never-written');
    const d = await AutoencoderDetector.load(autoencoderConfigSchema.parse(BASE), { logger, clock, tensorflow, stateDir: dir });
    open.push(d);
    expect(d.status).toMatchObject({ modelVersion: undefined, trainingWindows: 0 });
    expect(d.manifest).toBeUndefined();
  });

  describe('poisoning guard', () => {
    /**
     * Half of every window after the baseline is exfiltration by a rotating set of workloads, long
     * enough for two retrainings; then the attack is scored by the latest model.
     */
    async function sustainedAttack(poisoningGuard: number): Promise<{ scores: number[]; version: number | undefined; excluded: number }> {
      const mesh = new MeshWindows(41);
      const d = await trained(mesh, { poisoningGuard, retrainEvery: 200, maxTrainingWindows: 2000 });
      let excluded = 0;
      for (let i = 0; i < 400; i++) {
        d.observe(i % 2 === 0 ? mesh.next(EXFILTRATION) : mesh.next());
        if (d.retrainDue) {
          excluded += d.status.excludedSinceTraining;
          expect(await d.maybeRetrain()).toMatchObject({ status: 'trained' });
        }
      }
      const scores = mesh.take(20, EXFILTRATION).map((w) => scoreOf(d.observe(w)));
      return { scores, version: d.status.modelVersion, excluded };
    }

    it('keeps a sustained attack out of retraining, so the retrained model still scores it high', async () => {
      const guarded = await sustainedAttack(0.8);
      expect(guarded.version).toBe(3);
      expect(guarded.excluded).toBeGreaterThanOrEqual(200);
      expect(Math.min(...guarded.scores)).toBeGreaterThan(0.8);
    }, 120_000);

    it('without the guard, the same attack is learned as normal (what the guard prevents)', async () => {
      const unguarded = await sustainedAttack(1);
      expect(unguarded.version).toBe(3);
      expect(unguarded.excluded).toBe(0);
      expect(Math.max(...unguarded.scores)).toBeLessThan(0.5);
    }, 120_000);
  });
});
