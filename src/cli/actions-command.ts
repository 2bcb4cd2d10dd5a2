import { Command } from 'commander';
import { ACTIONS } from '../actions/action-registry.js';
import { terminalText as t } from '../shared/terminal-text.js';

/** `meshwarden actions`: what each action does and the permissions it needs. */
export function actionsCommand(): Command {
  return new Command('actions')
    .description('list the response actions with their summary, inverse and required permissions')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      if (opts.json === true) {
        const list = ACTIONS.map((a) => ({ id: a.id, summary: a.summary, inverse: a.inverse, destructive: a.destructive, rbac: a.rbac, vault: a.vault, example: a.example }));
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      for (const a of ACTIONS) {
        // The registry is ours, but the list goes through the same escaping as every other text output.
        process.stdout.write(`${t(a.id)}${a.destructive ? ' (destructive)' : ''}${a.inverse !== undefined ? `, undone by ${t(a.inverse)}` : ''}\n  ${t(a.summary, 1024)}\n`);
        for (const r of a.rbac) process.stdout.write(`  rbac: ${t(r.verbs.join(','))} ${t(r.resources.join(','))} [${t(r.apiGroups.map((g) => g || 'core').join(','))}]\n`);
        for (const v of a.vault ?? []) process.stdout.write(`  vault: ${t(v.capabilities.join(','))} ${t(v.path)}\n`);
      }
    });
}
