import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../shared/write-file-atomic.js';
import { describeZodIssues } from '../../shared/describe-issues.js';
import { z } from 'zod';
import { autoencoderManifestSchema, type AutoencoderManifest } from './autoencoder-manifest.js';
import { AutoencoderNetwork } from './autoencoder-network.js';
import { AutoencoderStateError } from './autoencoder-state-error.js';
import { FileModelHandler } from './file-model-handler.js';
import type { Tensorflow } from './tensorflow-runtime.js';

const MANIFEST_FILE = 'manifest.json';
const WINDOWS_FILE = 'training-windows.json';
const WINDOWS_FORMAT = 'meshwarden.io/autoencoder-windows/v1';

/** The clean windows kept for retraining and the schedule counters, saved next to the model. */
export const trainingWindowsFileSchema = z
  .object({
    format: z.literal(WINDOWS_FORMAT),
    features: z.array(z.string()),
    windowsSinceTraining: z.number().int().min(0),
    excludedSinceTraining: z.number().int().min(0),
    /** Window end (epoch ms) and raw values in `features` order; null = missing. */
    windows: z.array(z.object({ at: z.number(), values: z.array(z.number().nullable()) }).strict()),
  })
  .strict();

/** The saved training windows. */
export type TrainingWindowsFile = z.infer<typeof trainingWindowsFileSchema>;

/** Folder name of a model version: zero-padded so folders sort by version. */
export function versionDir(version: number): string {
  return `v${String(version).padStart(6, '0')}`;
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new AutoencoderStateError('autoencoder-state-invalid', `${path} cannot be read: ${String(error)}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AutoencoderStateError('autoencoder-state-invalid', `${path} is not valid JSON`, { cause: error });
  }
}

/**
 * One detector's folder in the state directory:
 *
 *   manifest.json             the current model: version, feature schema, scaling, quantile, digest
 *   training-windows.json     clean windows kept for retraining, schedule counters
 *   v000007/model.json        tfjs topology and weight manifest of version 7
 *   v000007/weights.bin       its weights
 *
 * A new version's files are written first and the manifest is switched to them last (atomically),
 * so a crash at any point leaves a manifest pointing at a complete model.
 */
export class ModelStore {
  constructor(readonly dir: string) {}

  /** The current manifest, or undefined when no model was ever saved here. */
  async readManifest(): Promise<AutoencoderManifest | undefined> {
    const path = join(this.dir, MANIFEST_FILE);
    const raw = await readJson(path);
    if (raw === undefined) return undefined;
    const parsed = autoencoderManifestSchema.safeParse(raw);
    if (!parsed.success) {
      throw new AutoencoderStateError('autoencoder-state-invalid', `${path} is not a valid autoencoder manifest: ${describeZodIssues(parsed.error)}`);
    }
    return parsed.data;
  }

  /** Writes a network's artifacts into its version folder; returns the folder name and digest. */
  async writeModel(version: number, network: AutoencoderNetwork): Promise<{ readonly dir: string; readonly weightsSha256: string }> {
    const dir = versionDir(version);
    const handler = new FileModelHandler(join(this.dir, dir));
    await network.save(handler);
    if (handler.weightsSha256 === undefined) throw new AutoencoderStateError('autoencoder-state-invalid', `saving ${dir} wrote no weights`);
    return { dir, weightsSha256: handler.weightsSha256 };
  }

  /** Loads the network a manifest points at, checking the weights against the pinned digest. */
  async readModel(tf: Tensorflow, manifest: AutoencoderManifest): Promise<AutoencoderNetwork> {
    const dir = join(this.dir, manifest.artifacts.dir);
    const handler = new FileModelHandler(dir);
    const network = await AutoencoderNetwork.load(tf, handler, manifest.featureSchema.names.length).catch((error: unknown) => {
      if (isNotFound(error) || (error instanceof AutoencoderStateError && isNotFound(error.cause))) {
        throw new AutoencoderStateError('autoencoder-state-invalid', `${dir} is missing model files the manifest points at`, { cause: error });
      }
      throw error;
    });
    if (handler.weightsSha256 !== manifest.artifacts.weightsSha256) {
      network.dispose();
      throw new AutoencoderStateError(
        'autoencoder-state-invalid',
        `${dir}: the weights do not match the manifest (sha256 ${String(handler.weightsSha256)}, expected ${manifest.artifacts.weightsSha256}); the files were modified or mixed up`,
      );
    }
    return network;
  }

  async writeManifest(manifest: AutoencoderManifest): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  }

  /** The saved training windows, or undefined when there are none (or they are unreadable). */
  async readTrainingWindows(): Promise<TrainingWindowsFile | undefined> {
    const path = join(this.dir, WINDOWS_FILE);
    const raw = await readJson(path);
    if (raw === undefined) return undefined;
    const parsed = trainingWindowsFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new AutoencoderStateError('autoencoder-state-invalid', `${path} is not a valid training windows file: ${describeZodIssues(parsed.error)}`);
    }
    return parsed.data;
  }

  async writeTrainingWindows(file: Omit<TrainingWindowsFile, 'format'>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, WINDOWS_FILE), JSON.stringify({ format: WINDOWS_FORMAT, ...file }));
  }

  /** Removes the version folders other than `keep` (called once the manifest points at `keep`). */
  async prune(keep: string): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    await Promise.all(entries.filter((name) => /^v\d{6,}$/.test(name) && name !== keep).map((name) => rm(join(this.dir, name), { recursive: true, force: true })));
  }
}
