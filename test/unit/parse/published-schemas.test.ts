import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { publishedSchemas, schemaFileText } from '../../../src/parse/published-schemas.js';

const SCHEMAS_DIR = new URL('../../../schemas/', import.meta.url);
const rewrite = process.env.MESHWARDEN_WRITE_SCHEMAS === '1';

describe('published JSON Schemas (schemas/)', () => {
  it.each(publishedSchemas().map((published) => ({ published, file: published.file })))(
    'schemas/$file matches the zod schema the parser validates with (MESHWARDEN_WRITE_SCHEMAS=1 to regenerate)',
    ({ published }) => {
      const url = new URL(published.file, SCHEMAS_DIR);
      const expected = schemaFileText(published);
      if (rewrite) {
        mkdirSync(SCHEMAS_DIR, { recursive: true });
        writeFileSync(url, expected);
      }
      expect(existsSync(url)).toBe(true);
      expect(readFileSync(url, 'utf8')).toBe(expected);
    },
  );

  it('publishes strict schemas: unknown keys are not allowed at any level', () => {
    for (const { schema } of publishedSchemas()) {
      expect(schema.additionalProperties).toBe(false);
      const properties = schema.properties as Record<string, { additionalProperties?: unknown; type?: unknown }>;
      for (const property of Object.values(properties)) {
        if (property.type === 'object') expect(property.additionalProperties).toBe(false);
      }
    }
  });
});
