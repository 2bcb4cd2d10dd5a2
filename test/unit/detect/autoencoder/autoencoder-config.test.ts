import { describe, expect, it } from 'vitest';
import { autoencoderConfigSchema } from '../../../../src/detect/autoencoder/autoencoder-config.js';

describe('autoencoderConfigSchema', () => {
  it('fills in defaults for everything but the feature list', () => {
    expect(autoencoderConfigSchema.parse({ type: 'autoencoder', features: ['request_rate', 'ratio_5xx', 'latency_p95', 'egress_bytes'] })).toEqual({
      type: 'autoencoder',
      features: ['request_rate', 'ratio_5xx', 'latency_p95', 'egress_bytes'],
      hidden: [8, 3],
      trainAfter: 1000,
      retrainEvery: 5000,
      maxTrainingWindows: 10_000,
      quantile: 0.995,
      poisoningGuard: 0.8,
      validationSplit: 0.2,
      maxMissingShare: 0.5,
      epochs: 30,
      batchSize: 32,
      learningRate: 0.01,
      seed: 42,
    });
  });

  it('rejects unknown keys, unknown features and repeated features', () => {
    const unknownKey = autoencoderConfigSchema.safeParse({ type: 'autoencoder', features: ['request_rate', 'ratio_5xx'], hiden: [1] });
    expect(unknownKey.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['hiden'] });
    const unknownFeature = autoencoderConfigSchema.safeParse({ type: 'autoencoder', features: ['request_rate', 'ratio_500'] });
    expect(unknownFeature.error?.issues[0]?.path).toEqual(['features', 1]);
    const repeated = autoencoderConfigSchema.safeParse({ type: 'autoencoder', features: ['request_rate', 'request_rate'] });
    expect(repeated.error?.issues[0]?.message).toBe('features must not repeat');
  });

  it('rejects a bottleneck as wide as the input, which could learn to copy it', () => {
    const result = autoencoderConfigSchema.safeParse({ type: 'autoencoder', features: ['request_rate', 'ratio_5xx', 'latency_p95'], hidden: [8, 3] });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['hidden'],
        message: 'the narrowest layer (3) must be smaller than the number of features (3), otherwise the model can learn to copy its input and never flags anything',
      }),
    ]);
  });

  it('rejects a first training that the kept windows could never reach', () => {
    const result = autoencoderConfigSchema.safeParse({
      type: 'autoencoder', features: ['request_rate', 'ratio_5xx', 'latency_p95', 'egress_bytes'], trainAfter: 500, maxTrainingWindows: 400,
    });
    expect(result.error?.issues[0]?.message).toBe('trainAfter (500) exceeds maxTrainingWindows (400); the first model could never be trained');
  });
});
