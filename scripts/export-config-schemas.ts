/** Writes the JSON Schemas of the files users author to schemas/ (checked by a unit test). */
import { writeFileSync } from 'node:fs';
import { CONFIG_SCHEMA_FILES, SCHEMA_KINDS, configJsonSchemas } from '../src/config/config-json-schemas.js';

const schemas = configJsonSchemas();
for (const kind of SCHEMA_KINDS) {
  writeFileSync(CONFIG_SCHEMA_FILES[kind], `${JSON.stringify(schemas[kind], null, 2)}\n`);
  process.stdout.write(`wrote ${CONFIG_SCHEMA_FILES[kind]}\n`);
}
