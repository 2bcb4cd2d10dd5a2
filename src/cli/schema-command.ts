import { Command } from 'commander';
import { configJsonSchemas } from '../config/config-json-schemas.js';

/** `meshwarden schema playbook|detector` prints the JSON Schema. */
export function schemaCommand(): Command {
  return new Command('schema')
    .description('print the JSON Schema of playbook or detector files')
    .argument('<kind>', 'playbook | detector')
    .action((kind: string, _opts: unknown, command: Command) => {
      const schemas = configJsonSchemas();
      if (kind !== 'playbook' && kind !== 'detector') command.error(`error: unknown schema "${kind}"; use playbook or detector`, { exitCode: 2 });
      process.stdout.write(`${JSON.stringify(kind === 'playbook' ? schemas.playbook : schemas.detector, null, 2)}\n`);
    });
}
