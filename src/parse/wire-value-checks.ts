/**
 * The value checks the hand-written wire guards (`is-drift-metric-wire.ts`,
 * `is-model-telemetry-wire.ts`) share: each answers what the matching zod primitive accepts.
 */

/** A JSON object's fields. */
export type Fields = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A finite number (`z.number()`). */
export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A non-negative safe integer (`z.number().int().nonnegative()`). */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A string of at least one character (`z.string().min(1)`). */
export function isNonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}
