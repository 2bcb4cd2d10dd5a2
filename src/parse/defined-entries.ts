/**
 * Builds an object from the entries whose value is defined, or returns undefined when none is.
 * Mapping optional wire fields to optional record fields needs this under
 * `exactOptionalPropertyTypes`, where a key must be absent rather than set to undefined.
 */
export function definedEntries<T extends object>(
  entries: readonly (readonly [keyof T, T[keyof T] | undefined])[],
): T | undefined {
  const out: Partial<Record<keyof T, unknown>> = {};
  let found = false;
  for (const [key, value] of entries) {
    if (value !== undefined) {
      out[key] = value;
      found = true;
    }
  }
  // Sound only for types whose keys are all optional, or whose required keys the caller passes
  // defined: every caller here maps an all-optional wire object, or supplies the required keys.
  return found ? (out as T) : undefined;
}
