import type { Expectations } from './playbook-test-spec.js';
import type { ObservedAction, ObservedAnomaly, ObservedIncident } from './run-test-case.js';

/** What a case produced, in the shape expectations are compared with. */
export interface Observed {
  readonly anomalies: readonly ObservedAnomaly[];
  readonly incidents: readonly ObservedIncident[];
  readonly actions: readonly ObservedAction[];
}

/** One list that did not match: what was expected and not seen, and what was seen and not expected. */
export interface Mismatch {
  readonly list: 'anomalies' | 'incidents' | 'actions';
  readonly missing: string[];
  readonly unexpected: string[];
}

/**
 * Compares each list the case names with what happened. An expected item matches an observed one
 * when every field it gives is equal (`detectors` as a set); an expected item nothing matches is
 * missing, an observed item no expectation matches is unexpected.
 */
export function compareExpectations(expect: Expectations, observed: Observed): Mismatch[] {
  const mismatches: Mismatch[] = [];
  if (expect.anomalies !== undefined) {
    const wanted = expect.anomalies.map((e) => ({ ...e, ...(e.window !== undefined ? { window: new Date(e.window).toISOString() } : {}) }));
    push(mismatches, 'anomalies', wanted, observed.anomalies, (e, o) => fieldsMatch(e, o), anomalyLine);
  }
  if (expect.incidents !== undefined) {
    push(mismatches, 'incidents', expect.incidents, observed.incidents, (e, o) =>
      (e.entity === undefined || e.entity === o.entity) && (e.detectors === undefined || sameSet(e.detectors, o.detectors)), incidentLine);
  }
  if (expect.actions !== undefined) {
    push(mismatches, 'actions', expect.actions, observed.actions, (e, o) => fieldsMatch(e, o), actionLine);
  }
  return mismatches;
}

function push<E extends object, O>(
  out: Mismatch[],
  list: Mismatch['list'],
  expected: readonly E[],
  observed: readonly O[],
  matches: (e: E, o: O) => boolean,
  show: (value: Partial<O> | E) => string,
): void {
  const missing = expected.filter((e) => !observed.some((o) => matches(e, o))).map((e) => show(e));
  const unexpected = observed.filter((o) => !expected.some((e) => matches(e, o))).map((o) => show(o));
  if (missing.length > 0 || unexpected.length > 0) out.push({ list, missing, unexpected });
}

function fieldsMatch(expected: object, observed: object): boolean {
  return Object.entries(expected).every(([k, v]) => v === undefined || (observed as Record<string, unknown>)[k] === v);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

function fields(value: object, keys: readonly string[]): string {
  const record = value as Record<string, unknown>;
  return keys
    .filter((k) => record[k] !== undefined)
    .map((k) => {
      const v = record[k];
      return `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : JSON.stringify(v)}`;
    })
    .join(', ');
}

const anomalyLine = (v: object): string => `{ ${fields(v, ['detector', 'entity', 'window'])} }`;
const incidentLine = (v: object): string => `{ ${fields(v, ['entity', 'detectors'])} }`;
const actionLine = (v: object): string => `{ ${fields(v, ['playbook', 'step', 'action', 'target', 'outcome'])} }`;

/**
 * A readable diff of the mismatches, one `-` line per expected item not seen and one `+` line per
 * item seen and not expected, under the name of the list.
 */
export function formatMismatches(mismatches: readonly Mismatch[]): string[] {
  const out: string[] = [];
  for (const m of mismatches) {
    out.push(`  ${m.list}: - expected, not seen; + seen, not expected`);
    for (const line of m.missing) out.push(`    - ${line}`);
    for (const line of m.unexpected) out.push(`    + ${line}`);
  }
  return out;
}
