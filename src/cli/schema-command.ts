import { Command } from 'commander';
import { SCHEMA_KINDS, configJsonSchemas, type SchemaKind } from '../config/config-json-schemas.js';

/** `meshwarden schema <kind>` prints the JSON Schema of a kind of file. */
export function schemaCommand(): Command {
  return new Command('schema')
    .description(`print the JSON Schema (draft-07) of ${SCHEMA_KINDS.join(', ')} files`)
    .argument('<kind>', SCHEMA_KINDS.join(' | '))
    .action((kind: string, _opts: unknown, command: Command) => {
      if (!(SCHEMA_KINDS as readonly string[]).includes(kind)) command.error(`error: unknown schema "${kind}"; use one of ${SCHEMA_KINDS.join(', ')}`, { exitCode: 2 });
      process.stdout.write(`${JSON.stringify(configJsonSchemas()[kind as SchemaKind], null, 2)}\n`);
    });
}
