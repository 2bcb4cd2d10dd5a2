import { Command, CommanderError } from 'commander';
import { actionsCommand } from './actions-command.js';
import { decideCommands } from './approve-command.js';
import { auditCommand } from './audit-command.js';
import { benchNabCommand } from './bench-nab-command.js';
import { benchNabCvCommand } from './bench-nab-cv-command.js';
import { formatBuildInfo, readBuildInfo } from './build-info.js';
import { checkCommand } from './check-command.js';
import { completionCommand } from './completion-command.js';
import { consoleCommands } from './console-command.js';
import { EXIT_CODE } from './exit-code.js';
import { releaseCommand } from './release-command.js';
import { runCommand } from './run-command.js';
import { schemaCommand } from './schema-command.js';
import { serveCommand } from './serve-command.js';
import { testCommand } from './test-command.js';
import { silenceCommand } from './silence-command.js';
import { ConfigError, MeshwardenError } from '../shared/errors.js';
import { describeSafely } from '../shared/safe-error.js';
import { terminalLines, terminalText } from '../shared/terminal-text.js';

/**
 * The command tree. Every command module here is light: the SDKs (kafkajs, the Kubernetes client,
 * node-vault, Slack's, TensorFlow.js) are imported inside the handlers that use them, so
 * `meshwarden --version` or `meshwarden check` never loads them.
 */
const program: Command = new Command('meshwarden')
  .description('runtime anomaly detection and response for AI workloads on Kubernetes')
  .option('-V, --version', 'print the version and build information')
  .addCommand(runCommand())
  .addCommand(serveCommand())
  .addCommand(checkCommand())
  .addCommand(testCommand())
  .addCommand(auditCommand())
  .addCommand(schemaCommand())
  .addCommand(actionsCommand())
  .addCommand(releaseCommand())
  .addCommand(silenceCommand());
for (const command of [...consoleCommands(), ...decideCommands()]) program.addCommand(command);
program
  .addCommand(new Command('bench').description('detection benchmarks').addCommand(benchNabCommand()).addCommand(benchNabCvCommand()))
  .addCommand(new Command('version').description('print the version and build information (also --version)').action(printVersion))
  .addCommand(completionCommand(() => program));

function printVersion(): void {
  process.stdout.write(formatBuildInfo(readBuildInfo()));
}

program.on('option:version', () => {
  printVersion();
  throw new CommanderError(EXIT_CODE.ok, 'meshwarden.version', '');
});

/**
 * Commander's errors (unknown option or command, missing argument) throw instead of exiting, on
 * every command of the tree, so they end with exit code 2 like every other usage error.
 */
function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)];
}
for (const command of everyCommand(program)) command.exitOverride().showHelpAfterError();

/**
 * Anything not a MeshwardenError, thrown by a command or rejected later by a client's own timers:
 * one sanitised line, never Node's default dump, which prints the error's enumerable fields (an
 * HTTP client's request configuration, its headers and body: a Vault token, a ServiceAccount JWT).
 */
function fatal(error: unknown): never {
  process.stderr.write(`error: ${terminalText(describeSafely(error), 1024)}\n`);
  process.exit(1);
}
// `meshwarden audit export | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_CODE.ok);
  fatal(error);
});
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help, or the version) already.
    process.exitCode = error.exitCode === 0 ? EXIT_CODE.ok : EXIT_CODE.usage;
  } else {
    // A problem with what the user gave us: say what it is, without a stack trace.
    if (!(error instanceof MeshwardenError)) fatal(error);
    // Messages quote what the user or a file gave (a pod name, a YAML value): their own line breaks
    // stay, anything else that could drive the terminal is escaped.
    process.stderr.write(`${error instanceof ConfigError ? '' : 'error: '}${terminalLines(error.message, 4096)}\n`);
    process.exitCode = EXIT_CODE.usage;
  }
}
