import type { NabCorpusResult, NabFixedThresholdResult, NabProfileName, NabScoredFile } from './nab-scorer.js';
import { NAB_PROFILES, NabLabelError, scoreAtThreshold, scoreNabCorpus } from './nab-scorer.js';

/** NAB's profiles in the order results are reported. */
export const NAB_PROFILE_NAMES: readonly NabProfileName[] = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];

/** One scored file and the category it belongs to (the unit a fold holds out). */
export interface NabCvFile {
  readonly category: string;
  readonly scored: NabScoredFile;
}

/** One candidate setting run once over the whole corpus; `files` are in the same order for every run. */
export interface NabCvRun {
  readonly label: string;
  readonly files: readonly NabCvFile[];
}

/** One fold: a category held out, the setting chosen without it, and how that setting did on it. */
export interface NabCvFold {
  readonly heldOut: string;
  readonly files: number;
  readonly windows: number;
  /** Index into the runs of the chosen setting. */
  readonly chosen: number;
  readonly chosenLabel: string;
  /** The chosen setting on the training categories, thresholds optimised there. */
  readonly training: NabCorpusResult;
  /** Standard score of every setting on the training categories, in run order. */
  readonly trainingStandard: readonly number[];
  /** The held-out category at each profile's training threshold. */
  readonly heldOutResult: { readonly [P in NabProfileName]: NabFixedThresholdResult };
}

/** Leave-one-category-out result over a corpus. */
export interface NabCvResult {
  readonly folds: readonly NabCvFold[];
  /** Mean of the folds' normalised held-out scores, over the folds that hold windows. */
  readonly meanOverFolds: { readonly [P in NabProfileName]: number | null };
  /**
   * Every file scored by its own fold's choice and thresholds, raw scores summed and normalised
   * once over all windows: the cross-validated counterpart of the whole-corpus NAB score, and the
   * only figure that also charges the false alarms of a fold without windows.
   */
  readonly pooled: { readonly [P in NabProfileName]: number | null };
  /** Each setting scored on the whole corpus with thresholds optimised on it (in-sample), in run order. */
  readonly inSample: readonly NabCorpusResult[];
}

/**
 * Leave-one-category-out cross-validation over settings that were each run once over the corpus.
 * For every category: each setting is scored on the other categories (NAB's threshold optimised
 * there, per profile), the setting with the best standard score is chosen (the first in run order
 * on a tie), and the held-out category is scored at the chosen setting's training thresholds, so
 * neither the setting nor the threshold has seen the files it is judged on.
 */
export function crossValidateNab(runs: readonly NabCvRun[]): NabCvResult {
  const first = runs[0];
  if (first === undefined) throw new NabLabelError('cross-validation needs at least one setting');
  for (const run of runs) {
    const sameFiles =
      run.files.length === first.files.length && run.files.every((f, i) => f.scored.name === first.files[i]?.scored.name);
    if (!sameFiles) throw new NabLabelError(`setting ${run.label} was not run over the same files as ${first.label}`);
  }
  const categories = [...new Set(first.files.map((f) => f.category))].sort();
  if (categories.length < 2) throw new NabLabelError('cross-validation needs at least two categories');

  const folds = categories.map((heldOut): NabCvFold => {
    const trainingOf = (run: NabCvRun): NabScoredFile[] =>
      run.files.filter((f) => f.category !== heldOut).map((f) => f.scored);
    const trainingResults = runs.map((run) => scoreNabCorpus(trainingOf(run)));
    let chosen = 0;
    trainingResults.forEach((r, i) => {
      const best = trainingResults[chosen];
      if (best !== undefined && r.standard.normalised > best.standard.normalised) chosen = i;
    });
    const run = runs[chosen] ?? first;
    const training = trainingResults[chosen] ?? scoreNabCorpus(trainingOf(first));
    const test = run.files.filter((f) => f.category === heldOut).map((f) => f.scored);
    const at = (profile: NabProfileName): NabFixedThresholdResult =>
      scoreAtThreshold(test, NAB_PROFILES[profile], training[profile].threshold);
    return {
      heldOut,
      files: test.length,
      windows: test.reduce((n, f) => n + f.windows.length, 0),
      chosen,
      chosenLabel: run.label,
      training,
      trainingStandard: trainingResults.map((r) => r.standard.normalised),
      heldOutResult: {
        standard: at('standard'),
        reward_low_FP_rate: at('reward_low_FP_rate'),
        reward_low_FN_rate: at('reward_low_FN_rate'),
      },
    };
  });

  const mean = (profile: NabProfileName): number | null => {
    const scores = folds.map((f) => f.heldOutResult[profile].normalised).filter((s): s is number => s !== null);
    return scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length;
  };
  const pooled = (profile: NabProfileName): number | null => {
    const costs = NAB_PROFILES[profile];
    const windows = folds.reduce((n, f) => n + f.windows, 0);
    const raw = folds.reduce((n, f) => n + f.heldOutResult[profile].raw, 0);
    const nullScore = -costs.fnWeight * windows;
    const span = costs.tpWeight * windows - nullScore;
    return span > 0 ? (100 * (raw - nullScore)) / span : null;
  };

  return {
    folds,
    meanOverFolds: {
      standard: mean('standard'),
      reward_low_FP_rate: mean('reward_low_FP_rate'),
      reward_low_FN_rate: mean('reward_low_FN_rate'),
    },
    pooled: {
      standard: pooled('standard'),
      reward_low_FP_rate: pooled('reward_low_FP_rate'),
      reward_low_FN_rate: pooled('reward_low_FN_rate'),
    },
    inSample: runs.map((run) => scoreNabCorpus(run.files.map((f) => f.scored))),
  };
}
