import type { ActionDefinition } from '../actions/action-definition.js';

const MARK = '\u0000target-param\u0000';
const cache = new WeakMap<ActionDefinition, ReadonlySet<string>>();

/**
 * The top-level parameters of an action that pick its target (a pod's namespace and name, a
 * secret's mount and path, a lease prefix, a Slack channel). Actions declare their target as a
 * function of their parameters, so this asks the function: each string parameter of the action's
 * own example is replaced by a marker in turn, and the ones whose marker shows in the target pick it.
 * Cached per action, since definitions are immutable.
 */
export function targetParams(action: ActionDefinition): ReadonlySet<string> {
  const cached = cache.get(action);
  if (cached !== undefined) return cached;
  const found = new Set<string>();
  const parsed = action.params.safeParse(action.example);
  if (parsed.success && parsed.data !== null && typeof parsed.data === 'object') {
    const example = parsed.data as Record<string, unknown>;
    for (const [key, value] of Object.entries(example)) {
      if (typeof value !== 'string') continue;
      const target = action.target({ ...example, [key]: `${MARK}${key}` });
      if ([target.kind, target.namespace ?? '', target.name].some((part) => part.includes(MARK))) found.add(key);
    }
  }
  cache.set(action, found);
  return found;
}
