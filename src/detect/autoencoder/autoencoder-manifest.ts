import { z } from 'zod';
import { featureScalingSchema } from './feature-scaler.js';

/** The manifest format this code writes and reads. */
export const MANIFEST_FORMAT = 'meshwarden.io/autoencoder-manifest/v1';

/**
 * What describes one saved model: enough to refuse it when it does not fit the detector, to
 * reproduce its scores (scaling and error quantile) and to audit where it came from.
 */
export const autoencoderManifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    /** Monotonic: every training gets the next number, never reusing one. */
    version: z.number().int().min(1),
    /** ISO time the model was trained. */
    trainedAt: z.string(),
    /** The backend that trained it (`tensorflow` or `cpu`) and the TensorFlow.js version. */
    backend: z.string(),
    tfjsVersion: z.string(),
    /** The input the model expects: feature names in order, and how each raw value is scaled. */
    featureSchema: z
      .object({
        names: z.array(z.string()).min(1),
        scaling: z.array(featureScalingSchema).min(1),
      })
      .strict(),
    architecture: z
      .object({
        inputs: z.number().int().min(1),
        hidden: z.array(z.number().int().min(1)).min(1),
        outputs: z.number().int().min(1),
        seed: z.number().int(),
      })
      .strict(),
    /** The windows the model learned from (window end times, epoch ms) and what was kept out. */
    training: z
      .object({
        from: z.number(),
        to: z.number(),
        windows: z.number().int().min(1),
        validationWindows: z.number().int().min(0),
        /** Windows the poisoning guard kept out of the training data since the previous model. */
        excludedByGuard: z.number().int().min(0),
        epochs: z.number().int().min(1),
        finalLoss: z.number(),
      })
      .strict(),
    /** The reconstruction error (RMSE in scaled units) at `quantile` of the baseline: score 0.5. */
    errorQuantile: z.object({ quantile: z.number(), value: z.number().positive() }).strict(),
    /** Where the tfjs artifacts are, relative to the detector folder, and the weights' digest. */
    artifacts: z
      .object({
        dir: z.string().regex(/^v\d{6,}$/),
        weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
      })
      .strict(),
  })
  .strict()
  .superRefine((manifest, ctx) => {
    const { names, scaling } = manifest.featureSchema;
    if (scaling.length !== names.length || scaling.some((s, i) => s.name !== names[i])) {
      ctx.addIssue({ code: 'custom', path: ['featureSchema', 'scaling'], message: 'scaling must list the features in the order of names' });
    }
    if (manifest.architecture.outputs !== names.length || manifest.architecture.inputs !== 2 * names.length) {
      ctx.addIssue({ code: 'custom', path: ['architecture'], message: 'inputs must be twice and outputs once the number of features' });
    }
  });

/** A parsed manifest. */
export type AutoencoderManifest = z.infer<typeof autoencoderManifestSchema>;
