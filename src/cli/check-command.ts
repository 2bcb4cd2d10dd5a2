import { Command } from 'commander';
import { checkConfig } from '../config/check-config.js';
import { CHECK_FORMATS, checkJson, checkNote, checkSarif, checkText, type CheckFormat } from './check-output.js';

const VERSION = '0.1.0';

/** `meshwarden check`: validates detector, playbook, playbook test and service config files, printing every problem. */
export function checkCommand(): Command {
  return new Command('check')
    .description('validate detector, playbook, playbook test and service config files; prints every problem as file:line:col message (exit 1 on any)')
    .argument('<paths...>', 'files or directories (YAML)')
    .option('--detectors <dir>', 'detectors to check playbooks against when the files hold none (default: ./detectors, else the shipped ones)')
    .option('-o, --output <format>', `output format: ${CHECK_FORMATS.join(', ')}`, 'text')
    .action(async (paths: string[], opts: { detectors?: string; output: string }, command: Command) => {
      if (!(CHECK_FORMATS as readonly string[]).includes(opts.output)) {
        command.error(`error: -o ${JSON.stringify(opts.output)} is not a format; use one of ${CHECK_FORMATS.join(', ')}`, { exitCode: 2 });
      }
      const format = opts.output as CheckFormat;
      const result = await checkConfig(paths, opts.detectors);
      const note = checkNote(result);
      if (format === 'text' && note !== undefined) process.stderr.write(note);
      process.stdout.write(format === 'json' ? checkJson(result) : format === 'sarif' ? checkSarif(result, VERSION) : checkText(result));
      if (result.problems.length > 0) process.exitCode = 1;
    });
}
