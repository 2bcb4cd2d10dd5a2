/** Writes the JSON Schemas of playbook and detector files to schemas/ (checked by a unit test). */
import { writeFileSync } from 'node:fs';
import { CONFIG_SCHEMA_FILES, configJsonSchemas } from '../src/config/config-json-schemas.js';

const schemas = configJsonSchemas();
for (const kind of ['playbook', 'detector'] as const) {
  writeFileSync(CONFIG_SCHEMA_FILES[kind], `${JSON.stringify(schemas[kind], null, 2)}\n`);
  process.stdout.write(`wrote ${CONFIG_SCHEMA_FILES[kind]}\n`);
}
