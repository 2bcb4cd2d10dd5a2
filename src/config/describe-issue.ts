import type { z } from 'zod';

type PathKey = string | number;
type Issue = z.core.$ZodIssue;

/**
 * Turns a schema issue into a sentence a SOC analyst can act on: what is wrong, the offending value
 * quoted, and the fix (the accepted values, or the closest known key).
 */
export function describeIssue(issue: Issue, path: readonly PathKey[], value: unknown, schema: z.ZodType, root: unknown): string {
  const where = path.length === 0 ? 'document' : lastKey(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(schema, path, root);
      return issue.keys
        .map((key) => {
          const suggestion = allowed ? closest(key, allowed) : undefined;
          const fix = suggestion ? `did you mean "${suggestion}"?` : allowed ? `allowed keys: ${allowed.join(', ')}` : 'remove it';
          return `unknown key "${key}" in ${where}; ${fix}`;
        })
        .join('; ');
    }
    case 'invalid_type':
      if (value === undefined) return `missing required key "${String(where)}" (${issue.expected})`;
      return `${String(where)}: expected ${issue.expected}, got ${quote(value)}`;
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const suggestion = typeof value === 'string' ? closest(value, issue.values.map(String)) : undefined;
      return `${String(where)}: ${quote(value)} is not allowed; use one of ${values.join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
    }
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (Array.isArray(options)) {
        const names = options.map(String);
        const suggestion = typeof value === 'string' ? closest(value, names) : undefined;
        return `${String(where)}: ${quote(value)} is not known; use one of ${names.join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
      }
      return `${String(where)}: ${quote(value)} matches none of the accepted forms`;
    }
    case 'too_small':
    case 'too_big':
    case 'invalid_format':
    case 'not_multiple_of':
    case 'custom':
    default:
      return `${String(where)}: ${quote(value)}: ${issue.message}`;
  }
}

/** The key a problem is about; a list item is named by its list and index (`users[0]`). */
function lastKey(path: readonly PathKey[]): PathKey {
  const last = path[path.length - 1] ?? '';
  if (typeof last !== 'number') return last;
  const parent = path[path.length - 2];
  return parent === undefined ? `[${last}]` : `${String(parent)}[${last}]`;
}

/** A value as it should appear in a message: short, quoted, never a whole subtree. */
export function quote(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The closest candidate by edit distance, when it is close enough to be a plausible typo. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const left = row[j - 1] ?? 0;
      row[j] = Math.min(above + 1, left + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  in?: z.ZodType;
  valueType?: z.ZodType;
  getter?: () => z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Walks the schema along `path` (following the data for unions) and lists the object keys it allows there. */
export function allowedKeysAt(schema: z.ZodType, path: readonly PathKey[], root: unknown): string[] | undefined {
  let current: z.ZodType | undefined = schema;
  let data: unknown = root;
  let depth = 0;
  for (let guard = 0; current !== undefined && guard < 200; guard++) {
    const def = defOf(current);
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
        current = def.innerType;
        continue;
      case 'pipe':
        current = def.in;
        continue;
      case 'lazy':
        current = def.getter?.();
        continue;
      case 'union':
        current = pickUnionOption(def, data);
        continue;
      default:
        break;
    }
    if (depth === path.length) return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
    const key = path[depth];
    if (key === undefined) return undefined;
    data = data !== null && typeof data === 'object' ? (data as Record<PathKey, unknown>)[key] : undefined;
    depth++;
    if (def.type === 'object') current = def.shape?.[String(key)];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return undefined;
  }
  return undefined;
}

function pickUnionOption(def: Def, data: unknown): z.ZodType | undefined {
  const options = def.options ?? [];
  if (def.discriminator !== undefined && data !== null && typeof data === 'object') {
    const tag = (data as Record<string, unknown>)[def.discriminator];
    for (const option of options) {
      const shape = defOf(option).shape;
      const literal = shape?.[def.discriminator];
      if (literal && (literal as unknown as { _zod: { values?: Set<unknown> } })._zod.values?.has(tag)) return option;
    }
  }
  return options.find((option) => option.safeParse(data).success) ?? options[0];
}
