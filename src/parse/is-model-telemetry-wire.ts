/**
 * A hand-written check for the common valid shape of `model_telemetry.v1`: it answers "certainly
 * valid" without zod on the hot path. It may reject a record the schema accepts (it is stricter
 * about what it does not expect); `parseModelTelemetry` then asks the schema, which decides and
 * words the dead letter. It must never accept a record the schema rejects.
 */
import { isIsoDateTime } from './is-iso-datetime.js';
import { isCount, isNonEmptyString, isNumber, isObject } from './wire-value-checks.js';
import type { ModelTelemetryWire } from './model-telemetry-schema.js';

function isMilliseconds(value: unknown): boolean {
  return isNumber(value) && value >= 0;
}

function isModel(value: unknown): boolean {
  if (!isObject(value)) return false;
  let named = false;
  for (const key in value) {
    const v = value[key];
    switch (key) {
      case 'name':
        if (!isNonEmptyString(v)) return false;
        named = true;
        break;
      case 'version':
      case 'namespace':
      case 'revision':
      case 'pod':
        if (!isNonEmptyString(v)) return false;
        break;
      case 'serving_system':
        if (v !== 'kserve' && v !== 'seldon' && v !== 'triton' && v !== 'bentoml' && v !== 'mlserver' && v !== 'other') {
          return false;
        }
        break;
      case 'component':
        if (v !== 'predictor' && v !== 'transformer' && v !== 'explainer') return false;
        break;
      case 'traffic_percent':
        if (!isNumber(v) || v < 0 || v > 100) return false;
        break;
      default:
        return false;
    }
  }
  return named;
}

function isCounts(value: unknown): boolean {
  if (!isObject(value)) return false;
  for (const key in value) {
    if (key !== 'requests' && key !== 'success' && key !== 'failure' && key !== 'inferences' && key !== 'executions') {
      return false;
    }
    if (!isCount(value[key])) return false;
  }
  return true;
}

function isLatency(value: unknown): boolean {
  if (!isObject(value)) return false;
  for (const key in value) {
    switch (key) {
      case 'total':
      case 'queue':
      case 'preprocess':
      case 'predict':
      case 'postprocess':
      case 'p50':
      case 'p95':
      case 'p99':
        if (!isMilliseconds(value[key])) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function isScores(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const score of value as readonly unknown[]) if (!isNumber(score)) return false;
  return true;
}

function isPrediction(value: unknown): boolean {
  if (!isObject(value)) return false;
  for (const key in value) {
    const v = value[key];
    switch (key) {
      case 'label':
        if (typeof v !== 'string' && !isNumber(v)) return false;
        break;
      case 'score':
        if (!isNumber(v)) return false;
        break;
      case 'scores':
        if (!isScores(v)) return false;
        break;
      case 'confidence':
        if (!isNumber(v) || v < 0 || v > 1) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * True when `value` is certainly a valid `model_telemetry.v1` record (every key known, every value
 * of its type and range, `window_s` present for an interval): the schema would accept it
 * unchanged. False means "ask the schema", not "invalid".
 */
export function isModelTelemetryWire(value: unknown): value is ModelTelemetryWire {
  if (!isObject(value)) return false;
  let required = 0;
  let interval = false;
  let windowed = false;
  for (const key in value) {
    const v = value[key];
    switch (key) {
      case 'schema':
        if (v !== 'model_telemetry.v1') return false;
        required++;
        break;
      case 'ts':
        if (!isIsoDateTime(v)) return false;
        required++;
        break;
      case 'kind':
        if (v === 'interval') interval = true;
        else if (v !== 'request') return false;
        required++;
        break;
      case 'model':
        if (!isModel(v)) return false;
        required++;
        break;
      case 'window_s':
        if (!isNumber(v) || v <= 0) return false;
        windowed = true;
        break;
      case 'request_id':
        if (!isNonEmptyString(v)) return false;
        break;
      case 'status_code':
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 999) return false;
        break;
      case 'counts':
        if (!isCounts(v)) return false;
        break;
      case 'latency_ms':
        if (!isLatency(v)) return false;
        break;
      case 'prediction':
        if (!isPrediction(v)) return false;
        break;
      default:
        return false;
    }
  }
  return required === 4 && (windowed || !interval);
}
