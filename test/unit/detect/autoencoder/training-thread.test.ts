import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoencoderConfigSchema } from '../../../../src/detect/autoencoder/autoencoder-config.js';
import { AutoencoderDetector } from '../../../../src/detect/autoencoder/autoencoder-detector.js';
import { loadTensorflow, type TensorflowRuntime } from '../../../../src/detect/autoencoder/tensorflow-runtime.js';
import { TrainingThread } from '../../../../src/detect/autoencoder/training-thread.js';
import { ManualClock } from '../../../../src/shared/clock.js';
import { createLogger, silentLogger } from '../../../../src/shared/logger.js';
import { MeshWindows, T0, WORKLOAD_FEATURES } from './mesh-windows.js';

const config = autoencoderConfigSchema.parse({ type: 'autoencoder', features: [...WORKLOAD_FEATURES], trainAfter: 200, retrainEvery: 300, epochs: 8 });
const logger = silentLogger();
let tensorflow: TensorflowRuntime;
const open: AutoencoderDetector[] = [];

beforeAll(async () => {
  tensorflow = await loadTensorflow({ logger }, { prefer: 'cpu' });
});

afterAll(async () => {
  for (const d of open) await d.close();
});

describe('training on the training thread', () => {
  it('gives the model an in-process training gives: same loss, same verdicts', async () => {
    // Warnings are what a fallback to in-process training would log: there must be none.
    const warnings: string[] = [];
    const recording = createLogger({ level: 'warn', destination: { write: (line: string) => { warnings.push(line); } } });
    const models = [false, true].map((trainInThread) => {
      const d = new AutoencoderDetector(config, { logger: recording, clock: new ManualClock(T0), tensorflow, trainInThread });
      open.push(d);
      return d;
    });
    const verdicts: unknown[] = [];
    for (const model of models) {
      const mesh = new MeshWindows(7);
      model.observeBatch(mesh.take(200));
      expect(await model.maybeRetrain()).toMatchObject({ status: 'trained', version: 1 });
      verdicts.push({ loss: model.manifest?.training.finalLoss, quantile: model.manifest?.errorQuantile.value, verdicts: model.observeBatch(mesh.take(50)) });
    }
    expect(warnings).toEqual([]);
    expect(verdicts[1]).toEqual(verdicts[0]);
  }, 60_000);
});

describe('one training thread shared by several detectors', () => {
  it('serves each of them, outlives a detector that closes and ends with the last holder', async () => {
    const warnings: string[] = [];
    const recording = createLogger({ level: 'warn', destination: { write: (line: string) => { warnings.push(line); } } });
    const thread = new TrainingThread(tensorflow, recording);
    const [first, second] = [1, 2].map(() => new AutoencoderDetector(config, { logger: recording, clock: new ManualClock(T0), tensorflow, trainingThread: thread }));
    if (first === undefined || second === undefined) throw new Error('two detectors');
    const mesh = new MeshWindows(11);
    first.observeBatch(mesh.take(200));
    expect(await first.maybeRetrain()).toMatchObject({ status: 'trained', version: 1 });
    await first.close();
    // The other detector still trains there: closing the first did not end the thread.
    expect(thread.usable).toBe(true);
    second.observeBatch(mesh.take(200));
    expect(await second.maybeRetrain()).toMatchObject({ status: 'trained', version: 1 });
    expect(warnings).toEqual([]);
    await second.close();
    // The last holder released it: the thread is gone, and a training would now run in-process.
    expect(thread.usable).toBe(false);
  }, 60_000);

  it('stays up for a holder of its own while detectors come and go', async () => {
    const thread = new TrainingThread(tensorflow, logger).hold();
    for (let round = 0; round < 2; round++) {
      const d = new AutoencoderDetector(config, { logger, clock: new ManualClock(T0), tensorflow, trainingThread: thread });
      await d.close();
      expect(thread.usable).toBe(true);
    }
    await thread.release();
    expect(thread.usable).toBe(false);
  });
});
