import { Command } from 'commander';
import { ACTIONS } from '../actions/action-registry.js';
import { terminalText as t } from '../shared/terminal-text.js';
import { outputOption, renderOutput, type OutputFormat } from './output-format.js';

/** `meshwarden actions`: what each action does and the permissions it needs. */
export function actionsCommand(): Command {
  return new Command('actions')
    .description('list the response actions with their summary, inverse and required permissions')
    .addOption(outputOption())
    .option('--json', 'the same as -o json')
    .action((opts: { json?: boolean; output: OutputFormat }) => {
      const list = ACTIONS.map((a) => ({ id: a.id, summary: a.summary, inverse: a.inverse, destructive: a.destructive, rbac: a.rbac, vault: a.vault, example: a.example }));
      process.stdout.write(renderOutput(opts.json === true ? 'json' : opts.output, list, () => ACTIONS.map((a) => {
        // The registry is ours, but the list goes through the same escaping as every other text output.
        const lines = [`${t(a.id)}${a.destructive ? ' (destructive)' : ''}${a.inverse !== undefined ? `, undone by ${t(a.inverse)}` : ''}`, `  ${t(a.summary, 1024)}`];
        for (const r of a.rbac) lines.push(`  rbac: ${t(r.verbs.join(','))} ${t(r.resources.join(','))} [${t(r.apiGroups.map((g) => g || 'core').join(','))}]`);
        for (const v of a.vault ?? []) lines.push(`  vault: ${t(v.capabilities.join(','))} ${t(v.path)}`);
        return `${lines.join('\n')}\n`;
      }).join('')));
    });
}
