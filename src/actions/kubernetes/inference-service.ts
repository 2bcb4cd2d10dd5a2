import { z } from 'zod';
import { DEPLOYMENT_ANNOTATIONS } from './deployment-patches.js';

/** Where KServe's InferenceService lives in the API. */
export const INFERENCE_SERVICE = { group: 'serving.kserve.io', version: 'v1beta1', plural: 'inferenceservices' } as const;

/** Records the canary percentage a rollback replaced (`unset` when the field was absent). */
export const PREVIOUS_CANARY_ANNOTATION = 'meshwarden.io/previous-canary-traffic-percent';

const DEPLOYMENT_MODE_ANNOTATION = 'serving.kserve.io/deploymentMode';

/** The parts of an InferenceService the rollback reads; everything else is passed through untouched. */
export const inferenceServiceSchema = z.object({
  metadata: z.object({ annotations: z.record(z.string(), z.string()).optional() }).optional(),
  spec: z.object({ predictor: z.object({ canaryTrafficPercent: z.number().optional() }).optional() }).optional(),
  status: z
    .object({
      components: z
        .object({
          predictor: z
            .object({ latestRolledoutRevision: z.string().optional(), previousRolledoutRevision: z.string().optional() })
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

/** An InferenceService as the rollback sees it. */
export type InferenceService = z.output<typeof inferenceServiceSchema>;

/**
 * Canary rollout (and so canary rollback) exists only in KServe's serverless (Knative) mode; in raw
 * deployment mode (`RawDeployment`, called `Standard` since KServe 0.15) the model runs as a plain
 * Deployment, which is rolled back like any other.
 */
export function supportsCanaryRollback(isvc: InferenceService): boolean {
  const mode = isvc.metadata?.annotations?.[DEPLOYMENT_MODE_ANNOTATION];
  return mode !== 'RawDeployment' && mode !== 'Standard';
}

/** A merge patch of an InferenceService. */
export interface InferenceServicePatch {
  readonly metadata: { readonly annotations: Readonly<Record<string, string>> };
  readonly spec: { readonly predictor: { readonly canaryTrafficPercent: number } };
}

/**
 * KServe's documented rollback: `canaryTrafficPercent: 0` on the current spec sends all traffic to
 * the last revision rolled out at 100%. Records the step's key and the percentage it replaced.
 */
export function canaryRollbackPatch(isvc: InferenceService, idempotencyKey: string): InferenceServicePatch {
  const previous = isvc.spec?.predictor?.canaryTrafficPercent;
  return {
    metadata: {
      annotations: {
        [DEPLOYMENT_ANNOTATIONS.rollbackKey]: idempotencyKey,
        [PREVIOUS_CANARY_ANNOTATION]: previous === undefined ? 'unset' : String(previous),
      },
    },
    spec: { predictor: { canaryTrafficPercent: 0 } },
  };
}
