import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileModelHandler, MODEL_JSON } from '../../../../src/detect/autoencoder/file-model-handler.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshwarden-handler-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileModelHandler', () => {
  it('writes model.json and weights.bin and reads back the same artifacts', async () => {
    const handler = new FileModelHandler(join(dir, 'roundtrip'));
    const weightData = new Float32Array([1, 2, 3, 4]).buffer;
    const weightSpecs = [{ name: 'dense/kernel', shape: [2, 2], dtype: 'float32' as const }];
    const result = await handler.save({ modelTopology: { class_name: 'Sequential' }, weightSpecs, weightData, format: 'layers-model' });
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(16);
    const saved = handler.weightsSha256;
    const loaded = await new FileModelHandler(join(dir, 'roundtrip')).load();
    expect(loaded.modelTopology).toEqual({ class_name: 'Sequential' });
    expect(loaded.weightSpecs).toEqual(weightSpecs);
    expect(loaded.weightData instanceof ArrayBuffer ? [...new Float32Array(loaded.weightData)] : undefined).toEqual([1, 2, 3, 4]);
    expect(saved).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses weight paths that leave the model folder', async () => {
    const folder = join(dir, 'escape');
    await new FileModelHandler(folder).save({ modelTopology: {}, weightSpecs: [], weightData: new ArrayBuffer(0) });
    await writeFile(join(folder, MODEL_JSON), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../../secret.bin'], weights: [] }] }));
    await expect(new FileModelHandler(folder).load()).rejects.toMatchObject({
      code: 'autoencoder-state-invalid',
      message: expect.stringContaining('names weight file "../../secret.bin" outside its folder') as string,
    });
  });

  it('reports a missing or malformed model.json as invalid state', async () => {
    await expect(new FileModelHandler(join(dir, 'absent')).load()).rejects.toMatchObject({ code: 'autoencoder-state-invalid' });
  });
});
