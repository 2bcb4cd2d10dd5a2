import type { DriftMetricRecord } from '../parse/records.js';
import type { WindowAccumulator } from './window-accumulator.js';

/** The feature name a drift tool gives its dataset-level summary (input-formats.md §3.3). */
export const DATASET_FEATURE = '__dataset__';

/** What the dataset-level drift summaries of one window said. */
export interface DatasetDrift {
  /** Largest share of drifted columns a summary reported, if any said how many. */
  share?: number;
  /** Whether any summary of the window said the dataset drifted. */
  detected?: boolean;
}

/**
 * Whether a drift record is a dataset-level yes/no (Evidently's `dataset_drift` with its
 * `share_of_drifted_columns`, a `__dataset__` row) rather than one column's statistic. Its
 * `drift_detected` is a verdict on the whole table and its `statistic` is not a column's distance:
 * counted as one more column, it would push the drifted share to 0 or 1 in a window holding only
 * it, or bend it in a window holding the columns' own records.
 */
export function isDatasetLevel(r: DriftMetricRecord): boolean {
  return r.feature === DATASET_FEATURE || r.dataset !== undefined || r.shareOfDriftedColumns !== undefined;
}

/** Folds one dataset-level record into the window's summary: the share it reports, if any. */
export function addDatasetDrift(summary: DatasetDrift, r: DriftMetricRecord): void {
  const d = r.dataset;
  const counted = d?.numberOfColumns !== undefined && d.numberOfColumns > 0 && d.numberOfDriftedColumns !== undefined
    ? d.numberOfDriftedColumns / d.numberOfColumns
    : undefined;
  const share = d?.shareOfDriftedColumns ?? r.shareOfDriftedColumns ?? counted;
  summary.detected = (summary.detected ?? false) || r.driftDetected;
  if (share !== undefined && !(share <= (summary.share ?? -1))) summary.share = share;
}

/**
 * Adds to a closed model window's features the counts its model features stand on
 * (`model_predictions`, `drift_statistics`), which detectors hold to their `minRequests`; the
 * dataset-level verdict as its own feature (`drift_dataset_detected`, 1 or 0); and, when no column
 * reported in the window, the drifted share of a dataset-level summary that says how many columns
 * drifted (a bare yes/no says nothing about a share and is left out of it).
 */
export function completeModelFeatures(acc: WindowAccumulator, dataset: DatasetDrift | undefined, features: Record<string, number>): void {
  if (acc.confidenceCount > 0) features.model_predictions = acc.confidenceCount;
  if (dataset?.detected !== undefined) features.drift_dataset_detected = dataset.detected ? 1 : 0;
  if (acc.driftFeatureCount > 0) features.drift_statistics = acc.driftFeatureCount;
  else if (dataset?.share !== undefined) features.drift_share = dataset.share;
}
