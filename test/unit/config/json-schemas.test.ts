import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/actions/action-registry.js';
import { CONFIG_SCHEMA_FILES, SCHEMA_KINDS, configJsonSchemas } from '../../../src/config/config-json-schemas.js';
import { DURATION_PATTERN } from '../../../src/shared/duration.js';

type Schema = Record<string, unknown>;
const at = (schema: unknown, ...path: string[]): Schema => path.reduce<Schema>((s, key) => (s[key] ?? {}) as Schema, schema as Schema);

describe('editor JSON Schemas', () => {
  it.each(SCHEMA_KINDS)('the committed %s schema matches the engine\'s (regenerate with `npm run schemas`)', async (kind) => {
    const committed: unknown = JSON.parse(await readFile(CONFIG_SCHEMA_FILES[kind], 'utf8'));
    expect(committed).toEqual(configJsonSchemas()[kind]);
  });

  it.each(SCHEMA_KINDS)('the %s schema is draft-07, which editors read', (kind) => {
    expect(configJsonSchemas()[kind].$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('checks each step\'s parameters by its action with if/then, not a oneOf that reports "matches none"', () => {
    const items = at(configJsonSchemas().playbook, 'properties', 'spec', 'properties', 'steps', 'items');
    expect(JSON.stringify(items)).not.toContain('"oneOf"');
    expect(at(items, 'properties', 'action').enum).toEqual(ACTIONS.map((a) => a.id));
    const rules = items.allOf as { if: Schema; then: Schema }[];
    expect(rules.map((r) => at(r.if, 'properties', 'action').const)).toEqual(ACTIONS.map((a) => a.id));
    const quarantine = rules.find((r) => at(r.if, 'properties', 'action').const === 'kubernetes.quarantine-pod');
    expect(at(quarantine?.then, 'properties', 'params', 'properties', 'expireAfter').pattern).toBe(DURATION_PATTERN.source);
    expect(at(quarantine?.then, 'properties', 'params').additionalProperties).toBe(false);
  });

  it('gives durations a pattern and fields the descriptions the schemas carry', () => {
    const trigger = at(configJsonSchemas().playbook, 'properties', 'spec', 'properties', 'trigger', 'properties');
    expect(at(trigger, 'for').pattern).toBe(DURATION_PATTERN.source);
    expect(at(trigger, 'for').description).toBe('The incident must have lasted this long before the playbook runs (hysteresis).');
    expect(at(configJsonSchemas().detector, 'properties', 'spec', 'properties', 'entity').description).toBe('Which entities this detector watches.');
    expect(at(configJsonSchemas()['service-config'], 'properties', 'kind').const).toBe('ServiceConfig');
    expect(at(configJsonSchemas()['playbook-test'], 'properties', 'kind').const).toBe('PlaybookTest');
  });

  it('the duration pattern accepts what the engine parses and refuses what it does not', () => {
    for (const ok of ['30s', '5m', '1h30m', '500ms', '1.5h', '1d']) expect(DURATION_PATTERN.test(ok)).toBe(true);
    for (const bad of ['5 minutes', '5', 'm', '', '1h 30m', '-5m']) expect(DURATION_PATTERN.test(bad)).toBe(false);
  });
});
