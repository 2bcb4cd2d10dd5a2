import { Command } from 'commander';
import { z } from 'zod';
import { detectorSchema } from '../detect/detector-spec.js';
import { playbookSchema } from '../playbook/playbook-spec.js';

/** JSON Schemas of the user-authored files, for editors (yaml-language-server) and CI. */
export function configJsonSchemas(): { playbook: unknown; detector: unknown } {
  return {
    playbook: { $id: 'https://meshwarden.io/schemas/playbook.v1.json', ...z.toJSONSchema(playbookSchema, { io: 'input', unrepresentable: 'any' }) },
    detector: { $id: 'https://meshwarden.io/schemas/detector.v1.json', ...z.toJSONSchema(detectorSchema, { io: 'input', unrepresentable: 'any' }) },
  };
}

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
