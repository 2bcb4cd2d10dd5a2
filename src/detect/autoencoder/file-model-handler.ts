import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { io } from '@tensorflow/tfjs';
import { z } from 'zod';
import { AutoencoderStateError } from './autoencoder-state-error.js';

/** File names inside a model folder: the layout tfjs-node's `file://` handler also reads. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

const weightSpecSchema = z
  .object({
    name: z.string(),
    shape: z.array(z.number().int().min(0)),
    dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
  })
  .loose();

const modelJsonSchema = z
  .object({
    modelTopology: z.record(z.string(), z.unknown()),
    format: z.string().optional(),
    generatedBy: z.string().optional(),
    convertedBy: z.string().nullable().optional(),
    weightsManifest: z.array(z.object({ paths: z.array(z.string()).min(1), weights: z.array(weightSpecSchema) }).loose()).min(1),
  })
  .loose();

function joinBuffers(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const total = parts.reduce((n, part) => n + part.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A `tf.io` save/load handler over a local folder (`model.json` + `weights.bin`). tfjs-node's
 * `file://` scheme is not used because tfjs-node is optional; this works on every backend and
 * writes the same layout, so either can read what the other wrote.
 */
export class FileModelHandler implements io.IOHandler {
  /** SHA-256 of the weights last saved or loaded, for the manifest to pin. */
  weightsSha256: string | undefined;

  constructor(private readonly dir: string) {}

  async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
    const topology = artifacts.modelTopology;
    if (topology === undefined || topology instanceof ArrayBuffer) {
      throw new AutoencoderStateError('autoencoder-state-invalid', 'only layers models with a JSON topology can be saved');
    }
    const data = artifacts.weightData ?? [];
    const weights = joinBuffers((Array.isArray(data) ? data : [data]).map((buffer) => new Uint8Array(buffer)));
    const modelJson = {
      modelTopology: topology,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    };
    const text = JSON.stringify(modelJson);
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, WEIGHTS_BIN), weights);
    await writeFile(join(this.dir, MODEL_JSON), text);
    this.weightsSha256 = sha256(weights);
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: Buffer.byteLength(JSON.stringify(topology)),
        weightSpecsBytes: Buffer.byteLength(JSON.stringify(modelJson.weightsManifest[0]?.weights ?? [])),
        weightDataBytes: weights.byteLength,
      },
    };
  }

  async load(): Promise<io.ModelArtifacts> {
    let parsed: z.infer<typeof modelJsonSchema>;
    try {
      parsed = modelJsonSchema.parse(JSON.parse(await readFile(join(this.dir, MODEL_JSON), 'utf8')));
    } catch (error) {
      throw new AutoencoderStateError('autoencoder-state-invalid', `${join(this.dir, MODEL_JSON)} is not a readable tfjs model: ${String(error)}`, { cause: error });
    }
    const parts: Uint8Array[] = [];
    const weightSpecs: io.WeightsManifestEntry[] = [];
    for (const group of parsed.weightsManifest) {
      for (const path of group.paths) {
        // Weight paths come from a file on disk: only plain names inside this folder are followed.
        if (basename(path) !== path || path === '..' || path === '.') {
          throw new AutoencoderStateError('autoencoder-state-invalid', `${join(this.dir, MODEL_JSON)} names weight file "${path}" outside its folder`);
        }
        parts.push(await readFile(join(this.dir, path)));
      }
      weightSpecs.push(...group.weights);
    }
    const weights = joinBuffers(parts);
    this.weightsSha256 = sha256(weights);
    return {
      modelTopology: parsed.modelTopology,
      weightSpecs,
      weightData: weights.buffer,
      ...(parsed.format !== undefined ? { format: parsed.format } : {}),
      ...(parsed.generatedBy !== undefined ? { generatedBy: parsed.generatedBy } : {}),
      ...(parsed.convertedBy !== undefined && parsed.convertedBy !== null ? { convertedBy: parsed.convertedBy } : {}),
    };
  }
}
