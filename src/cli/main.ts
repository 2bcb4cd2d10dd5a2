import { Command } from 'commander';
import { actionsCommand } from './actions-command.js';
import { auditCommand } from './audit-command.js';
import { benchNabCommand } from './bench-nab-command.js';
import { benchNabCvCommand } from './bench-nab-cv-command.js';
import { checkCommand } from './check-command.js';
import { releaseCommand } from './release-command.js';
import { runCommand } from './run-command.js';
import { schemaCommand } from './schema-command.js';
import { serveCommand } from './serve-command.js';
import { testCommand } from './test-command.js';
import { ConfigError, MeshwardenError } from '../shared/errors.js';
import { describeSafely } from '../shared/safe-error.js';
import { terminalLines, terminalText } from '../shared/terminal-text.js';

const program = new Command('meshwarden')
  .description('runtime anomaly detection and response for AI workloads on Kubernetes')
  .version('0.1.0')
  .showHelpAfterError()
  .addCommand(runCommand())
  .addCommand(serveCommand())
  .addCommand(checkCommand())
  .addCommand(testCommand())
  .addCommand(auditCommand())
  .addCommand(schemaCommand())
  .addCommand(actionsCommand())
  .addCommand(releaseCommand())
  .addCommand(new Command('bench').description('detection benchmarks').addCommand(benchNabCommand()).addCommand(benchNabCvCommand()));

/**
 * Anything not a MeshwardenError, thrown by a command or rejected later by a client's own timers:
 * one sanitised line, never Node's default dump, which prints the error's enumerable fields (an
 * HTTP client's request configuration, its headers and body: a Vault token, a ServiceAccount JWT).
 */
function fatal(error: unknown): never {
  process.stderr.write(`error: ${terminalText(describeSafely(error), 1024)}\n`);
  process.exit(1);
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A problem with what the user gave us: say what it is, without a stack trace.
  if (!(error instanceof MeshwardenError)) fatal(error);
  // Messages quote what the user or a file gave (a pod name, a YAML value): their own line breaks
  // stay, anything else that could drive the terminal is escaped.
  process.stderr.write(`${error instanceof ConfigError ? '' : 'error: '}${terminalLines(error.message, 4096)}\n`);
  process.exitCode = 2;
}
