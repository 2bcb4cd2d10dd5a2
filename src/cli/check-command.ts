import { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { formatProblem } from '../shared/errors.js';
import { terminalText } from '../shared/terminal-text.js';

/** `meshwarden check`: validates detector and playbook files, printing every problem. */
export function checkCommand(): Command {
  return new Command('check')
    .description('validate detector and playbook files; prints every problem as file:line:col message')
    .argument('<paths...>', 'files or directories (YAML)')
    .action(async (paths: string[]) => {
      const config = await loadConfig(paths);
      if (config.problems.length > 0) {
        process.stdout.write(`${config.problems.map((p) => terminalText(formatProblem(p), 4096)).join('\n')}\n`);
        process.stdout.write(`${config.problems.length} problem(s) in ${new Set(config.problems.map((p) => p.file)).size} file(s)\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`ok: ${config.detectors.length} detector(s), ${config.playbooks.length} playbook(s) in ${config.files.length} file(s)\n`);
    });
}
