import type { DriftMetricRecord, ModelTelemetryRecord } from '../parse/records.js';
import type { Entity } from './entity.js';
import { addDatasetDrift, isDatasetLevel, type DatasetDrift } from './model-window-evidence.js';
import type { WindowAccumulator } from './window-accumulator.js';

/** The model entity a telemetry or drift record is about: `model:<namespace>/<name>@<version>`. */
export function modelEntity(model: { name: string; version?: string; namespace?: string; pod?: string }): Entity {
  const ns = model.namespace ?? 'default';
  const version = model.version ?? 'unversioned';
  return {
    key: `model:${ns}/${model.name}@${version}`, kind: 'model', namespace: ns, name: model.name,
    model: model.name, version,
  };
}

/** Adds one model telemetry record (a request, or an interval's summary) to its model's window. */
export function tallyTelemetry(acc: WindowAccumulator, r: ModelTelemetryRecord): void {
  const requests = r.counts?.requests ?? (r.granularity === 'request' ? 1 : 0);
  acc.modelIntervals++;
  acc.modelRequests += requests;
  acc.modelFailures += r.counts?.failure ?? (r.statusCode !== undefined && r.statusCode >= 500 ? 1 : 0);
  const confidence = r.prediction?.confidence;
  if (confidence !== undefined) {
    // An interval record carries a mean: weight it by the requests it stands for.
    const weight = r.granularity === 'interval' ? Math.max(requests, 1) : 1;
    acc.confidenceSum += confidence * weight;
    acc.confidenceCount += weight;
  }
  const p95 = r.latencyMs?.p95 ?? r.latencyMs?.total;
  if (p95 !== undefined && (acc.modelLatencyP95 === undefined || !(p95 <= acc.modelLatencyP95))) acc.modelLatencyP95 = p95;
}

/**
 * Adds one drift record to its model's window: a column's statistic to the column maxima, a
 * dataset-level verdict to the window's summary in `datasetDrift`, kept apart from the columns.
 */
export function tallyDrift(acc: WindowAccumulator, r: DriftMetricRecord, datasetDrift: WeakMap<WindowAccumulator, DatasetDrift>): void {
  if (isDatasetLevel(r)) {
    let summary = datasetDrift.get(acc);
    if (summary === undefined) {
      summary = {};
      datasetDrift.set(acc, summary);
    }
    addDatasetDrift(summary, r);
    return;
  }
  if (acc.driftStatMax === undefined || !(r.statistic <= acc.driftStatMax)) acc.driftStatMax = r.statistic;
  if (r.method === 'psi' && (acc.psiMax === undefined || !(r.statistic <= acc.psiMax))) acc.psiMax = r.statistic;
  acc.driftFeatures.set(r.feature, (acc.driftFeatures.get(r.feature) ?? false) || r.driftDetected);
}
