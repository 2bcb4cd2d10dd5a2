import { join } from 'node:path';
import { Command } from 'commander';
import { verifyLedger } from '../audit/verify-ledger.js';

/** `meshwarden audit verify <state dir>` */
export function auditCommand(): Command {
  const audit = new Command('audit').description('inspect the tamper-evident audit ledger');
  audit
    .command('verify')
    .description('check the hash chain of the ledger in a state directory; exit 1 naming the first bad record')
    .argument('<state-dir>', 'the --state directory of a run (or its audit/ subdirectory)')
    .action(async (stateDir: string) => {
      let result = await verifyLedger(join(stateDir, 'audit'));
      if (!result.ok && result.records === 0 && result.line === 0) result = await verifyLedger(stateDir);
      if (result.ok) {
        process.stdout.write(`ok: ${result.records} record(s), chain intact\n`);
        return;
      }
      process.stdout.write(`TAMPERED: record at line ${result.line}${result.seq !== undefined ? ` (seq ${result.seq})` : ''}: ${result.problem}\n`);
      process.exitCode = 1;
    });
  return audit;
}
