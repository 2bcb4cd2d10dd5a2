import { describe, expect, it } from 'vitest';
import type { ActionDefinition } from '../../src/actions/action-definition.js';
import { ACTIONS, findAction } from '../../src/actions/action-registry.js';

const actions: readonly ActionDefinition[] = ACTIONS;

describe.each(actions.map((a) => [a.id, a] as const))('action %s', (id, action) => {
  it('is named <provider>.<verb>-<object> after its provider', () => {
    expect(id).toMatch(/^(kubernetes|vault|slack)\.[a-z]+(-[a-z]+)*$/);
    expect(id.startsWith(`${action.provider}.`)).toBe(true);
  });

  it('accepts its own example and describes it in one sentence naming the target', () => {
    const params = action.params.parse(action.example);
    const target = action.target(params);
    expect(target.name.length).toBeGreaterThan(0);
    const description = action.describe(params);
    expect(description.length).toBeGreaterThan(20);
    expect(description).not.toContain('undefined');
  });

  it('rejects unknown parameters', () => {
    expect(action.params.safeParse({ ...(action.example as object), surprise: 1 }).success).toBe(false);
  });

  it('declares well-formed permissions for its provider', () => {
    for (const rule of action.rbac) {
      expect(rule.verbs.length).toBeGreaterThan(0);
      expect(rule.resources.length).toBeGreaterThan(0);
      expect(rule.verbs.every((v) => ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'].includes(v))).toBe(true);
    }
    if (action.provider === 'kubernetes') expect(action.rbac.length).toBeGreaterThan(0);
    if (action.provider === 'vault') expect(action.vault?.length).toBeGreaterThan(0);
  });

  it('names an inverse that exists', () => {
    if (action.inverse !== undefined) expect(findAction(action.inverse)?.id).toBe(action.inverse);
  });
});

describe('action registry', () => {
  it('holds each id once', () => {
    const ids = ACTIONS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
