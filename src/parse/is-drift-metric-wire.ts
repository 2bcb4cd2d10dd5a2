/**
 * A hand-written check for the common valid shape of `drift_metric.v1`: it answers "certainly
 * valid" without zod on the hot path. It may reject a record the schema accepts; `parseDriftMetric`
 * then asks the schema, which decides and words the dead letter. It must never accept a record the
 * schema rejects.
 */
import type { DriftMetricWire } from './drift-metric-schema.js';
import { isIsoDateTime } from './is-iso-datetime.js';
import { isCount, isNonEmptyString, isNumber, isObject } from './wire-value-checks.js';

function isShare(value: unknown): boolean {
  return isNumber(value) && value >= 0 && value <= 1;
}

function isModel(value: unknown): boolean {
  if (!isObject(value)) return false;
  let named = false;
  for (const key in value) {
    if (key !== 'name' && key !== 'version' && key !== 'namespace') return false;
    if (!isNonEmptyString(value[key])) return false;
    if (key === 'name') named = true;
  }
  return named;
}

function isWindow(value: unknown): boolean {
  if (!isObject(value)) return false;
  let start: string | undefined;
  let end: string | undefined;
  for (const key in value) {
    const v = value[key];
    switch (key) {
      case 'start':
        if (!isIsoDateTime(v)) return false;
        start = v;
        break;
      case 'end':
        if (!isIsoDateTime(v)) return false;
        end = v;
        break;
      case 'chunk_key':
        if (!isNonEmptyString(v)) return false;
        break;
      case 'n_reference':
      case 'n_current':
        if (!isCount(v)) return false;
        break;
      default:
        return false;
    }
  }
  // The schema's cross-field rule, in its own terms.
  return start === undefined || end === undefined || !(Date.parse(start) > Date.parse(end));
}

function isDataset(value: unknown): boolean {
  if (!isObject(value)) return false;
  let columns: number | undefined;
  let drifted: number | undefined;
  for (const key in value) {
    const v = value[key];
    switch (key) {
      case 'number_of_columns':
        if (!isCount(v)) return false;
        columns = v;
        break;
      case 'number_of_drifted_columns':
        if (!isCount(v)) return false;
        drifted = v;
        break;
      case 'share_of_drifted_columns':
      case 'drift_share':
        if (!isShare(v)) return false;
        break;
      default:
        return false;
    }
  }
  return columns === undefined || drifted === undefined || drifted <= columns;
}

function isMethod(value: unknown): boolean {
  switch (value) {
    case 'psi':
    case 'ks':
    case 'chi2':
    case 'z':
    case 'wasserstein':
    case 'jensen_shannon':
    case 'hellinger':
    case 'l_infinity':
    case 'mmd':
    case 'cvm':
    case 'lsdd':
    case 'other':
      return true;
    default:
      return false;
  }
}

/**
 * True when `value` is certainly a valid `drift_metric.v1` record (every key known, every value of
 * its type and range, the window in order, no more drifted columns than columns): the schema would
 * accept it unchanged. False means "ask the schema", not "invalid".
 */
export function isDriftMetricWire(value: unknown): value is DriftMetricWire {
  if (!isObject(value)) return false;
  let required = 0;
  for (const key in value) {
    const v = value[key];
    switch (key) {
      case 'schema':
        if (v !== 'drift_metric.v1') return false;
        required++;
        break;
      case 'ts':
        if (!isIsoDateTime(v)) return false;
        required++;
        break;
      case 'model':
        if (!isModel(v)) return false;
        required++;
        break;
      case 'feature':
        if (!isNonEmptyString(v)) return false;
        required++;
        break;
      case 'method':
        if (!isMethod(v)) return false;
        required++;
        break;
      case 'statistic':
        if (!isNumber(v)) return false;
        required++;
        break;
      case 'drift_detected':
        if (typeof v !== 'boolean') return false;
        required++;
        break;
      case 'window':
        if (!isWindow(v)) return false;
        break;
      case 'tool':
        if (v !== 'evidently' && v !== 'nannyml' && v !== 'alibi-detect' && v !== 'custom') return false;
        break;
      case 'tool_version':
        if (!isNonEmptyString(v)) return false;
        break;
      case 'p_value':
        if (v !== null && !isShare(v)) return false;
        break;
      case 'threshold':
        if (!isNumber(v)) return false;
        break;
      case 'threshold_kind':
        if (v !== 'p_value_below' && v !== 'distance_above' && v !== 'outside_band') return false;
        break;
      case 'upper_threshold':
      case 'lower_threshold':
        if (v !== null && !isNumber(v)) return false;
        break;
      case 'dataset':
        if (!isDataset(v)) return false;
        break;
      default:
        return false;
    }
  }
  return required === 7;
}
