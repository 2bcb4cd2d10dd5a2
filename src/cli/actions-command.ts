import { Command } from 'commander';
import { ACTIONS } from '../actions/action-registry.js';

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
        process.stdout.write(`${a.id}${a.destructive ? ' (destructive)' : ''}${a.inverse !== undefined ? `, undone by ${a.inverse}` : ''}\n  ${a.summary}\n`);
        for (const r of a.rbac) process.stdout.write(`  rbac: ${r.verbs.join(',')} ${r.resources.join(',')} [${r.apiGroups.map((g) => g || 'core').join(',')}]\n`);
        for (const v of a.vault ?? []) process.stdout.write(`  vault: ${v.capabilities.join(',')} ${v.path}\n`);
      }
    });
}
