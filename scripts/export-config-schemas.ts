/** Writes the JSON Schemas of the files users author, and of the run report, to schemas/ (checked by unit tests). */
import { writeFileSync } from 'node:fs';
import { CONFIG_SCHEMA_FILES, SCHEMA_KINDS, configJsonSchemas } from '../src/config/config-json-schemas.js';
import { RUN_REPORT_SCHEMA_FILE, runReportJsonSchema } from '../src/embedded/report-schema.js';

const schemas = configJsonSchemas();
for (const kind of SCHEMA_KINDS) {
  writeFileSync(CONFIG_SCHEMA_FILES[kind], `${JSON.stringify(schemas[kind], null, 2)}\n`);
  process.stdout.write(`wrote ${CONFIG_SCHEMA_FILES[kind]}\n`);
}
writeFileSync(RUN_REPORT_SCHEMA_FILE, `${JSON.stringify(runReportJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${RUN_REPORT_SCHEMA_FILE}\n`);
