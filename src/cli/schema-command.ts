import { Command } from 'commander';
import { SCHEMA_KINDS, configJsonSchemas, type SchemaKind } from '../config/config-json-schemas.js';
import { runReportJsonSchema } from '../embedded/report-schema.js';

/** Every kind `meshwarden schema` prints: the files users author, then what `run --report` writes. */
const KINDS = [...SCHEMA_KINDS, 'run-report'] as const;

/** `meshwarden schema <kind>` prints the JSON Schema of a kind of file. */
export function schemaCommand(): Command {
  return new Command('schema')
    .description(`print the JSON Schema (draft-07) of ${SCHEMA_KINDS.join(', ')} files, or of the report \`run --report\` writes (run-report)`)
    .argument('<kind>', KINDS.join(' | '))
    .action((kind: string, _opts: unknown, command: Command) => {
      if (!(KINDS as readonly string[]).includes(kind)) command.error(`error: unknown schema "${kind}"; use one of ${KINDS.join(', ')}`, { exitCode: 2 });
      const schema = kind === 'run-report' ? runReportJsonSchema() : configJsonSchemas()[kind as SchemaKind];
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });
}
