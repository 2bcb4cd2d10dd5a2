import { z } from 'zod';
import { ACTIONS } from '../actions/action-registry.js';
import { detectorSchema } from '../detect/detector-spec.js';
import { playbookSchema } from '../playbook/playbook-spec.js';
import { playbookTestSchema } from '../playbook-test/playbook-test-spec.js';
import { serviceConfigSchema } from './service-config.js';

type JsonSchema = Record<string, unknown>;

/** The kinds of file a JSON Schema is published for. */
export const SCHEMA_KINDS = ['playbook', 'detector', 'playbook-test', 'service-config'] as const;
export type SchemaKind = (typeof SCHEMA_KINDS)[number];

/**
 * JSON Schemas (draft-07, what yaml-language-server and most editors read) of the files users
 * author, generated from the same zod schemas the engine validates with, so an editor flags
 * exactly what `meshwarden check` would. Descriptions are the schemas' own (`.describe()`).
 */
export function configJsonSchemas(): Readonly<Record<SchemaKind, JsonSchema>> {
  const generate = (schema: z.ZodType, file: string): JsonSchema => ({
    $id: `https://meshwarden.io/schemas/${file}`,
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }),
  });
  return {
    playbook: stepsByAction(generate(playbookSchema, 'playbook.v1.json')),
    detector: generate(detectorSchema, 'detector.v1.json'),
    'playbook-test': generate(playbookTestSchema, 'playbook-test.v1.json'),
    'service-config': generate(serviceConfigSchema, 'service-config.v1.json'),
  };
}

/**
 * A step is one of many shapes told apart by `action`. As a `oneOf`, an editor reports a typo in
 * one parameter as "matches none of 11 schemas"; with one `if`/`then` per action it reports the
 * parameter of the action the step names, and `action` itself is checked against the list.
 */
function stepsByAction(schema: JsonSchema): JsonSchema {
  const spec = (schema.properties as Record<string, JsonSchema> | undefined)?.spec;
  const steps = (spec?.properties as Record<string, JsonSchema> | undefined)?.steps;
  const options = (steps?.items as JsonSchema | undefined)?.oneOf as JsonSchema[] | undefined;
  if (steps === undefined || options === undefined) throw new Error('the playbook schema has no steps to rewrite');
  const first = options[0]?.properties as Record<string, JsonSchema> | undefined;
  steps.items = {
    type: 'object',
    properties: {
      ...first,
      action: { type: 'string', enum: ACTIONS.map((a) => a.id), description: 'the action this step runs (`meshwarden actions` lists them)' },
      params: { type: 'object', description: 'the action\'s parameters' },
    },
    required: ['action', 'params'],
    additionalProperties: false,
    allOf: options.map((option) => {
      const properties = option.properties as Record<string, JsonSchema>;
      return { if: { properties: { action: { const: properties.action?.const } }, required: ['action'] }, then: { properties: { params: properties.params } } };
    }),
  };
  return schema;
}

/** Where the committed copies live. */
export const CONFIG_SCHEMA_FILES: Readonly<Record<SchemaKind, string>> = {
  playbook: 'schemas/playbook.v1.json',
  detector: 'schemas/detector.v1.json',
  'playbook-test': 'schemas/playbook-test.v1.json',
  'service-config': 'schemas/service-config.v1.json',
};
