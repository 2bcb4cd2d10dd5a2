import { z } from 'zod';
import { ENTITY_KINDS } from '../features/entity.js';
import { FEATURE_NAMES, type FeatureName } from '../features/feature-window.js';
import { COMPARED_FEATURES } from './compared-features.js';
import { durationSchema } from '../shared/duration.js';
import { autoencoderConfigSchema } from './autoencoder/autoencoder-config.js';
import { falcoDetectorConfigSchema } from './falco-detector.js';
import { algorithmSchema } from './stats/algorithm-registry.js';
import { HORIZON_AGGREGATES } from './horizon-ring.js';

const nameSchema = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'use lowercase letters, digits and dashes (a DNS label), e.g. "auth-failure-storm"');

const featureSpecSchema = z
  .object({
    name: z.enum(FEATURE_NAMES).describe('A feature from the catalogue (see `meshwarden features`).'),
    algorithm: algorithmSchema.optional().describe('Overrides the detector\'s algorithm for this feature.'),
    /**
     * Algorithm of the feature over the detector's `horizons` (default: the feature's own). An
     * aggregate is far smoother than one window, so it can afford a tighter spread floor.
     */
    horizonAlgorithm: algorithmSchema.optional(),
    min: z.number().optional().describe('The observed value must be at least this for the feature to count as anomalous.'),
    max: z.number().optional().describe('The observed value must be at most this for the feature to count as anomalous.'),
  })
  .strict();

/** A detector as written by users under `detectors/`. */
export const detectorSchema = z
  .object({
    apiVersion: z.literal('meshwarden.io/v1'),
    kind: z.literal('Detector'),
    metadata: z
      .object({
        name: nameSchema,
        description: z.string().optional(),
        labels: z.record(z.string(), z.string()).optional(),
      })
      .strict(),
    spec: z
      .object({
        entity: z.enum(ENTITY_KINDS).describe('Which entities this detector watches.'),
        /**
         * `entity`: one baseline per entity (a pod against its own history). `cohort`: one baseline
         * shared by all entities of the kind, so a principal never seen before is still judged.
         */
        baseline: z.enum(['entity', 'cohort']).default('entity'),
        /**
         * `stable-version` (entity: model): judge every version of a model that is not its stable
         * version against the stable version's value in the same window, from the version's first
         * window (see docs/detection.md, "Canary versions"). Features: `model_latency_p95` and
         * `confidence_mean` with `log-ratio-cusum`, `model_failure_ratio` with `binomial-cusum`.
         */
        compare: z.enum(['stable-version']).optional().describe('Judge each model version against its model\'s stable version in the same window (entity: model).'),
        algorithm: algorithmSchema.optional().describe('Default algorithm of the features that do not set one.'),
        features: z.array(featureSpecSchema).min(1).optional().describe('Features scored one by one with statistical algorithms...'),
        autoencoder: autoencoderConfigSchema.optional().describe('...or together, by an autoencoder over the entity\'s feature vector (one model per detector)...'),
        falco: falcoDetectorConfigSchema.optional().describe('...or Falco\'s own alerts on a pod, graded by rule and priority (entity: pod).'),
        /**
         * Windows with fewer requests than this are not scored (ratios over few requests are noise).
         * Model features are held to the model's own count instead: inferences in the window, or for
         * `confidence_mean` the predictions that reported a confidence (see `feature-evidence.ts`).
         */
        minRequests: z.number().int().min(0).default(0),
        /**
         * A feature raises an anomaly only once it has been anomalous in this many consecutive
         * evaluations of the same entity (windows in which the feature was observed), so a single
         * blip of a sparse signal, such as a drift monitor's 10-minute report, does not alarm.
         */
        persistence: z.number().int().min(1).max(60).default(1),
        /**
         * Longer time scales (`["5m", "15m", "1h"]`) at which each feature is also scored, each
         * against its own baseline: counts and bytes summed, ratios averaged and quantiles taken as
         * the request-weighted median of the per-window values (see `horizon-ring.ts`), so a slow
         * ramp or a regression at a few requests a minute accumulates evidence. Windows under
         * `minRequests` still count towards a horizon, which is held to `minRequests` as a whole;
         * `min`/`max` of a summed feature are per window and scale with the horizon.
         */
        horizons: z.array(durationSchema.pipe(z.number().min(60_000).max(3_600_000))).max(4).optional(),
        threshold: z
          .number()
          .gt(0)
          .lt(1)
          .optional()
          .describe('Score at or above which the detector raises an anomaly, in [0, 1). Required, except by a falco detector, whose alerts are verdicts already (its minPriority selects them).'),
        severity: z.enum(['info', 'low', 'medium', 'high', 'critical']).default('medium'),
        namespaces: z.array(z.string()).optional().describe('Restrict to entities in these namespaces.'),
        matchLabels: z.record(z.string(), z.string()).optional().describe('Restrict to entities carrying all these labels (e.g. `meshwarden.io/principal: external`).'),
      })
      .strict()
      .superRefine((spec, ctx) => {
        const kinds = [spec.features, spec.autoencoder, spec.falco].filter((kind) => kind !== undefined).length;
        if (kinds !== 1) {
          ctx.addIssue({
            code: 'custom', path: ['features'],
            message: spec.falco === undefined
              ? 'set exactly one of spec.features (statistical) or spec.autoencoder'
              : 'set exactly one of spec.features (statistical), spec.autoencoder or spec.falco',
          });
        }
        if (spec.falco === undefined && spec.threshold === undefined) {
          ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'is required: the score in [0, 1) at or above which the detector raises an anomaly' });
        }
        if (spec.falco !== undefined) {
          if (spec.entity !== 'pod') ctx.addIssue({ code: 'custom', path: ['entity'], message: 'must be pod: Falco attributes its alerts to a pod' });
          if (spec.threshold !== undefined) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'does not apply to a falco detector: use spec.falco.minPriority' });
          if (spec.horizons !== undefined) ctx.addIssue({ code: 'custom', path: ['horizons'], message: 'spec.horizons applies to spec.features; a falco detector does not use it' });
        }
        if (spec.autoencoder !== undefined && spec.baseline === 'entity' && spec.algorithm !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['algorithm'], message: 'spec.algorithm applies to spec.features; an autoencoder detector does not use it' });
        }
        if (spec.horizons !== undefined && spec.autoencoder !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['horizons'], message: 'spec.horizons applies to spec.features; an autoencoder detector does not use it' });
        }
        if (spec.compare !== undefined) for (const issue of compareIssues(spec)) ctx.addIssue({ code: 'custom', ...issue });
        (spec.features ?? []).forEach((feature, i) => {
          if (spec.horizons !== undefined && HORIZON_AGGREGATES[feature.name] === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['features', i, 'name'],
              message: `feature "${feature.name}" has no aggregate over several windows; spec.horizons applies to counts, bytes, ratios and latencies`,
            });
          }
          if (feature.algorithm === undefined && spec.algorithm === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['features', i, 'algorithm'],
              message: `feature "${feature.name}" has no algorithm; set spec.algorithm or features[${i}].algorithm`,
            });
          }
        });
      }),
  })
  .strict();

export type DetectorSpec = z.infer<typeof detectorSchema>;

/** What `compare: stable-version` asks of the rest of a detector's spec, as issues. */
function compareIssues(spec: {
  readonly entity: string; readonly baseline: string; readonly horizons?: readonly number[] | undefined;
  readonly algorithm?: { readonly type: string } | undefined; readonly autoencoder?: unknown; readonly falco?: unknown;
  readonly features?: readonly { readonly name: string; readonly algorithm?: { readonly type: string } | undefined }[] | undefined;
}): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (spec.entity !== 'model') issues.push({ path: ['compare'], message: `compares a model's versions: set entity: model (got "${spec.entity}")` });
  if (spec.baseline !== 'entity') issues.push({ path: ['baseline'], message: 'does not apply with compare: a version is judged against its stable version, not a cohort' });
  if (spec.horizons !== undefined) issues.push({ path: ['horizons'], message: 'does not apply with compare: the comparison accumulates evidence window by window itself' });
  if (spec.autoencoder !== undefined || spec.falco !== undefined) issues.push({ path: ['compare'], message: 'applies to spec.features' });
  (spec.features ?? []).forEach((feature, i) => {
    const wanted = COMPARED_FEATURES[feature.name as FeatureName];
    if (wanted === undefined) {
      issues.push({ path: ['features', i, 'name'], message: `feature "${feature.name}" cannot be compared between versions; use ${Object.keys(COMPARED_FEATURES).join(', ')}` });
      return;
    }
    const type = (feature.algorithm ?? spec.algorithm)?.type;
    if (type !== undefined && type !== wanted) {
      issues.push({ path: ['features', i, 'algorithm', 'type'], message: `"${type}" cannot judge "${feature.name}" against the stable version; use ${wanted}` });
    }
  });
  return issues;
}
