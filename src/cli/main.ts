import { Command } from 'commander';
import { actionsCommand } from './actions-command.js';
import { auditCommand } from './audit-command.js';
import { benchNabCommand } from './bench-nab-command.js';
import { checkCommand } from './check-command.js';
import { releaseCommand } from './release-command.js';
import { runCommand } from './run-command.js';
import { schemaCommand } from './schema-command.js';
import { serveCommand } from './serve-command.js';
import { ConfigError, MeshwardenError } from '../shared/errors.js';

const program = new Command('meshwarden')
  .description('runtime anomaly detection and response for AI workloads on Kubernetes')
  .version('0.1.0')
  .showHelpAfterError()
  .addCommand(runCommand())
  .addCommand(serveCommand())
  .addCommand(checkCommand())
  .addCommand(auditCommand())
  .addCommand(schemaCommand())
  .addCommand(actionsCommand())
  .addCommand(releaseCommand())
  .addCommand(new Command('bench').description('detection benchmarks').addCommand(benchNabCommand()));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A problem with what the user gave us: say what it is, without a stack trace.
  if (!(error instanceof MeshwardenError)) throw error;
  process.stderr.write(`${error instanceof ConfigError ? '' : 'error: '}${error.message}\n`);
  process.exitCode = 2;
}
