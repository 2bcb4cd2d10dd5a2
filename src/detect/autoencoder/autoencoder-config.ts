import { z } from 'zod';
import { FEATURE_NAMES } from '../../features/feature-window.js';

/**
 * Parameters of the autoencoder detector as written in a detector's YAML. Strict: a misspelt key
 * is an error, not a silently ignored default. Window counts are feature windows (one entity, one
 * minute), summed over every entity the detector sees: the model is shared by the cohort.
 */
export const autoencoderConfigSchema = z
  .object({
    type: z.literal('autoencoder'),
    /** The feature vector, in order; the model is tied to exactly this list (see the manifest). */
    features: z
      .array(z.enum(FEATURE_NAMES))
      .min(2, 'an autoencoder needs at least two features; use a statistical algorithm for one')
      .refine((names) => new Set(names).size === names.length, 'features must not repeat'),
    /** Encoder layer widths, the last one being the bottleneck; the decoder mirrors them. */
    hidden: z.array(z.number().int().min(1).max(256)).min(1).max(4).default([8, 3]),
    /** Clean windows needed before the first model is trained (nothing is scored until then). */
    trainAfter: z.number().int().min(20).default(1000),
    /** Windows observed between two retrainings. */
    retrainEvery: z.number().int().min(1).default(5000),
    /** The newest clean windows kept for (re)training; older ones are dropped. */
    maxTrainingWindows: z.number().int().min(20).default(10_000),
    /** Quantile of the baseline reconstruction errors that scores 0.5 (the decision boundary). */
    quantile: z.number().gt(0.5).lt(1).default(0.995),
    /**
     * Windows scoring at or above this are kept out of the training data, so sustained attack
     * traffic is never learned as normal. 1 disables the guard.
     */
    poisoningGuard: z.number().gt(0).max(1).default(0.8),
    /** Share of the training windows held out to measure the error quantile out of sample. */
    validationSplit: z.number().min(0).max(0.5).default(0.2),
    /** Windows missing more than this share of the features are neither scored nor learned. */
    maxMissingShare: z.number().min(0).lt(1).default(0.5),
    epochs: z.number().int().min(1).max(1000).default(30),
    batchSize: z.number().int().min(1).max(4096).default(32),
    learningRate: z.number().positive().max(1).default(0.01),
    /** Seeds the weight initialisers and the training order: same data, same model. */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
  })
  .strict()
  .superRefine((config, ctx) => {
    const bottleneck = Math.min(...config.hidden);
    if (bottleneck >= config.features.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['hidden'],
        message: `the narrowest layer (${bottleneck}) must be smaller than the number of features (${config.features.length}), otherwise the model can learn to copy its input and never flags anything`,
      });
    }
    if (config.trainAfter > config.maxTrainingWindows) {
      ctx.addIssue({
        code: 'custom',
        path: ['trainAfter'],
        message: `trainAfter (${config.trainAfter}) exceeds maxTrainingWindows (${config.maxTrainingWindows}); the first model could never be trained`,
      });
    }
  });

/** Autoencoder parameters, defaults applied. */
export type AutoencoderConfig = z.infer<typeof autoencoderConfigSchema>;

/** Autoencoder parameters as written in YAML, before defaults. */
export type AutoencoderInput = z.input<typeof autoencoderConfigSchema>;
