import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoencoderConfigSchema } from '../../../../src/detect/autoencoder/autoencoder-config.js';
import { AutoencoderDetector } from '../../../../src/detect/autoencoder/autoencoder-detector.js';
import { loadTensorflow, type TensorflowRuntime } from '../../../../src/detect/autoencoder/tensorflow-runtime.js';
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
