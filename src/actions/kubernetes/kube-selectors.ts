import type { V1LabelSelector } from '@kubernetes/client-node';

/** Labels as the API returns them: absent when the object has none. */
export type Labels = Readonly<Record<string, string>>;

/**
 * Whether a `LabelSelector` (ReplicaSet, NetworkPolicy) selects an object with these labels, with the
 * API server's semantics: an absent selector selects nothing, an empty one selects everything, and
 * every `matchLabels` entry and `matchExpressions` requirement must hold.
 */
export function labelSelectorMatches(selector: V1LabelSelector | undefined, labels: Labels): boolean {
  if (selector === undefined) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const value = labels[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
      default:
        // An operator this code does not know: select nothing rather than guess.
        return false;
    }
  }
  return true;
}

/**
 * Whether a Service selector (a plain map) selects these labels. A Service without a selector has
 * its endpoints managed by hand and selects no pod.
 */
export function serviceSelectorMatches(selector: Labels | undefined, labels: Labels): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** The label keys a `LabelSelector` reads. */
export function labelSelectorKeys(selector: V1LabelSelector | undefined): string[] {
  if (selector === undefined) return [];
  return [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((requirement) => requirement.key)];
}

/** A `LabelSelector` in the query-string form list calls take (`app=x,tier in (a,b),!canary`). */
export function labelSelectorString(selector: V1LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const requirement of selector.matchExpressions ?? []) {
    const values = (requirement.values ?? []).join(',');
    switch (requirement.operator) {
      case 'In':
        parts.push(`${requirement.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${requirement.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(requirement.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${requirement.key}`);
        break;
      default:
        throw new Error(`unknown label selector operator "${requirement.operator}"`);
    }
  }
  return parts.join(',');
}
