import { describe, expect, it } from 'vitest';
import { addDatasetDrift, completeModelFeatures, isDatasetLevel, type DatasetDrift } from '../../../src/features/model-window-evidence.js';
import { WindowAccumulator } from '../../../src/features/window-accumulator.js';
import type { DriftMetricRecord } from '../../../src/parse/records.js';
import { drift } from '../helpers/records.js';

function dataset(overrides: Partial<DriftMetricRecord>): DriftMetricRecord {
  return { ...drift(0, '__dataset__', 1, true), method: 'other', ...overrides };
}

describe('isDatasetLevel', () => {
  it('tells a dataset-level summary from a column statistic', () => {
    expect(isDatasetLevel(drift(0, 'amount', 0.3, true))).toBe(false);
    expect(isDatasetLevel(drift(0, '__prediction__', 0.3, true))).toBe(false);
    expect(isDatasetLevel(dataset({}))).toBe(true);
    expect(isDatasetLevel({ ...drift(0, 'table', 0.5, true), dataset: { shareOfDriftedColumns: 0.5 } })).toBe(true);
    expect(isDatasetLevel({ ...drift(0, 'table', 0.5, true), shareOfDriftedColumns: 0.5 })).toBe(true);
  });
});

describe('addDatasetDrift', () => {
  it('keeps the largest reported share, from the share or from the column counts', () => {
    const summary: DatasetDrift = {};
    addDatasetDrift(summary, dataset({ dataset: { numberOfColumns: 8, numberOfDriftedColumns: 2 } }));
    expect(summary.share).toBe(0.25);
    addDatasetDrift(summary, dataset({ dataset: { shareOfDriftedColumns: 0.5 } }));
    addDatasetDrift(summary, dataset({ shareOfDriftedColumns: 0.1 }));
    expect(summary.share).toBe(0.5);
  });

  it('takes no share from a bare yes/no', () => {
    const summary: DatasetDrift = {};
    addDatasetDrift(summary, dataset({}));
    addDatasetDrift(summary, dataset({ driftDetected: false, dataset: { numberOfColumns: 0, numberOfDriftedColumns: 0 } }));
    expect(summary).toEqual({ detected: true });
  });
});

describe('completeModelFeatures', () => {
  it('adds the counts the model features stand on', () => {
    const acc = new WindowAccumulator();
    acc.confidenceCount = 7;
    acc.driftFeatures.set('amount', true);
    const features: Record<string, number> = { drift_share: 1 };
    completeModelFeatures(acc, { share: 0.9, detected: false }, features);
    expect(features).toEqual({ model_predictions: 7, drift_statistics: 1, drift_share: 1, drift_dataset_detected: 0 });
  });

  it('uses a dataset-level share only when no column reported', () => {
    const features: Record<string, number> = {};
    completeModelFeatures(new WindowAccumulator(), { share: 0.6, detected: true }, features);
    expect(features).toEqual({ drift_share: 0.6, drift_dataset_detected: 1 });
    const none: Record<string, number> = {};
    completeModelFeatures(new WindowAccumulator(), {}, none);
    expect(none).toEqual({});
  });
});
