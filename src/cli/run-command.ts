import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { runEmbedded } from '../embedded/run-embedded.js';
import type { RunProgress } from '../embedded/run-progress.js';
import { loadConfig } from '../config/load-config.js';
import type { PlaybookVarOverrides } from '../playbook/playbook-vars.js';
import { DEFAULT_FEATURE_OPTIONS } from '../features/feature-extractor.js';
import { systemClock } from '../shared/clock.js';
import { ConfigError, LedgerError, MeshwardenError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { parseDuration } from '../shared/duration.js';
import { formatReport } from './print-report.js';
import { POLICY_PATH } from '../policy/opa-client.js';
import { LEDGER_KEY_ENV, ledgerErrorExitCode, ledgerSigningFromOption } from './ledger-key-option.js';
import { terminalText } from '../shared/terminal-text.js';
import { ProgressLine } from './progress-line.js';
import { markdownReport } from '../report/markdown-report.js';
import { htmlReport } from '../report/html-report.js';
import { defaultWorkerCount } from '../workers/detection-pool.js';

/** `meshwarden run`: replays a recording through the engine on one machine, in dry-run. */
export function runCommand(): Command {
  return new Command('run')
    .description('replay access logs, model telemetry and drift metrics from a file (or - for stdin) and report what was detected and what the playbooks would do')
    .requiredOption('--input <file|->', 'NDJSON / log lines to replay (.gz accepted); - reads stdin')
    .option('--detectors <dir>', 'detector definitions', 'detectors')
    .option('--playbooks <dir>', 'playbook definitions', 'playbooks')
    .option('--state <dir>', 'state directory: audit ledger, dead letters, detector baselines', '.meshwarden')
    .option('--fresh', 'start with empty event time and baselines in the state directory (the old ones are moved to <state>/superseded/<time>/; the audit ledger is kept and records the fresh start)')
    .addOption(new Option('--dry-run', 'record what would be done without doing it (the only mode on one machine)').default(true))
    .option('--no-dry-run', 'execute actions for real (needs the cluster service)')
    .addOption(new Option('--ledger-key <file>', 'signs the audit ledger\'s checkpoints: an Ed25519 private key PEM or an HMAC secret file, kept outside the state directory').env(LEDGER_KEY_ENV))
    .option('--report <file.json>', 'also write the full report as JSON (schema: meshwarden schema run-report)')
    .option('--html <file.html>', 'also write one self-contained page (no script, nothing loaded from anywhere): the cases table, a timeline per entity of anomaly scores and actions, and each case\'s evidence')
    .option('--markdown <file.md>', 'also write a summary for a ticket: totals, the table of cases, each case\'s root, incidents, first evidence and actions')
    .option('--window <duration>', 'feature window length', '1m')
    .option('--trusted-proxy-hops <n>', 'proxies in front of the ingress gateway that append the client address to X-Forwarded-For (as Envoy\'s xff_num_trusted_hops); 0 names external callers by the address the gateway saw', '0')
    .option('--policy-url <url>', 'ask the Open Policy Agent at this URL (its Data API, decision at meshwarden/decision) about each step, as the service does; the report shows what it said')
    .option('--policy-path <path>', 'package path of the policy decision', 'meshwarden/decision')
    .option('--config <file>', 'a service config (kind: ServiceConfig) whose playbookVars set this install\'s values of the playbooks\' spec.vars; nothing else of it is used here')
    .option('--partitions <n>', 'split the input into n partitions by workload (or model), as a Kafka topic keyed by entity would, and detect on each apart: the report is what a service reading n partitions would give; 1 (default): one pipeline over the whole input', '1')
    .option('--workers <n>', 'worker threads the partitions\' detection runs on (default: one per core, at most one per partition); 0 or 1: in this thread. The report is the same for any number')
    .option('--quiet', 'print only the totals line (and no progress on stderr)')
    .option('--log-level <level>', 'pino log level on stderr', 'warn')
    .action(async (opts: { input: string; detectors: string; playbooks: string; state: string; fresh?: boolean; dryRun: boolean; report?: string; markdown?: string; html?: string; window: string; trustedProxyHops: string; quiet?: boolean; logLevel: string; ledgerKey?: string; policyUrl?: string; policyPath: string; config?: string; partitions: string; workers?: string }, command: Command) => {
      const logger = createLogger({ level: opts.logLevel });
      if (!opts.dryRun) command.error('error: live actions need the cluster service (Kafka, Kubernetes, Vault); on one machine the engine runs in dry-run only', { exitCode: 2 });
      const windowMs = parseDuration(opts.window);
      if (windowMs === undefined || windowMs < 1000) command.error(`error: --window ${JSON.stringify(opts.window)} is not a duration of at least 1s (e.g. "1m")`, { exitCode: 2 });
      const trustedProxyHops = /^\d{1,2}$/.test(opts.trustedProxyHops) ? Number(opts.trustedProxyHops) : -1;
      if (trustedProxyHops < 0 || trustedProxyHops > 16) command.error(`error: --trusted-proxy-hops ${JSON.stringify(opts.trustedProxyHops)} is not a number of hops from 0 to 16`, { exitCode: 2 });
      const partitions = /^\d{1,3}$/.test(opts.partitions) ? Number(opts.partitions) : 0;
      if (partitions < 1 || partitions > 256) command.error(`error: --partitions ${JSON.stringify(opts.partitions)} is not a number of partitions from 1 to 256`, { exitCode: 2 });
      const workers = opts.workers === undefined ? defaultWorkerCount() : /^\d{1,3}$/.test(opts.workers) ? Number(opts.workers) : -1;
      if (workers < 0 || workers > 256) command.error(`error: --workers ${JSON.stringify(opts.workers)} is not a number of worker threads from 0 to 256`, { exitCode: 2 });
      if (opts.policyUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(opts.policyUrl)) command.error(`error: --policy-url ${JSON.stringify(opts.policyUrl)} is not an http(s) URL`, { exitCode: 2 });
      if (!POLICY_PATH.test(opts.policyPath)) command.error(`error: --policy-path ${JSON.stringify(opts.policyPath)} is not a package path such as "meshwarden/decision"`, { exitCode: 2 });
      // Progress only where a person watches: a terminal on stderr, not a pipe, a file or a CI log.
      const progress = process.stderr.isTTY && opts.quiet !== true
        ? new ProgressLine({ write: (text) => process.stderr.write(text), clock: systemClock, columns: () => process.stderr.columns })
        : undefined;
      const notice = (line: string): void => {
        progress?.clear();
        process.stderr.write(`warning: ${terminalText(line, 1024)}\n`);
      };
      try {
        const ledgerSigning = await ledgerSigningFromOption(opts.ledgerKey, notice);
        const playbookVars = opts.config === undefined ? undefined : await playbookVarsFrom(opts.config);
        const report = await runEmbedded(
          {
            ...(playbookVars !== undefined ? { playbookVars } : {}),
            input: opts.input,
            configPaths: [opts.detectors, opts.playbooks],
            stateDir: opts.state,
            ...(ledgerSigning ? { ledgerSigning } : {}),
            fresh: opts.fresh === true,
            ...(opts.policyUrl !== undefined ? { policy: { url: opts.policyUrl, path: opts.policyPath, timeout: 500, cacheSize: 1_000, cacheTtl: 60_000 } } : {}),
            pipeline: { features: { ...DEFAULT_FEATURE_OPTIONS, windowMs, trustedProxyHops } },
            partitions, workers,
          },
          { clock: systemClock, logger, notice, ...(progress !== undefined ? { progress: (p: RunProgress) => { progress.update(p); } } : {}) },
        ).finally(() => { progress?.clear(); });
        if (report.inputError?.code === 'input-missing') {
          command.error(`error: cannot read ${opts.input}: no such file`, { exitCode: 2 });
        }
        if (opts.report !== undefined) await writeOutput('--report', opts.report, `${JSON.stringify(report, null, 2)}\n`);
        if (opts.markdown !== undefined) await writeOutput('--markdown', opts.markdown, markdownReport(report));
        if (opts.html !== undefined) await writeOutput('--html', opts.html, htmlReport(report));
        const text = formatReport(report);
        process.stdout.write(`${opts.quiet === true ? (text.split('\n')[0] ?? '') : text}\n`);
        if (report.inputError !== undefined) {
          // What was read is in the report, the state and the ledger; the cause in one line, no stack.
          process.stderr.write(`error: input ended early: ${terminalText(report.inputError.message, 1024)}\n`);
          process.exitCode = 1;
        }
      } catch (error) {
        if (error instanceof OutputFileError) {
          // The run itself is recorded (state, ledger); only this file is missing.
          process.stderr.write(`error: ${terminalText(error.message, 1024)}\n`);
          process.exitCode = 2;
          return;
        }
        if (error instanceof LedgerError) {
          // One line naming the problem: a ledger that fails its checks is not extended.
          process.stderr.write(`error: ${terminalText(error.message, 1024)} [${error.code}]\n`);
          process.exitCode = ledgerErrorExitCode(error);
          return;
        }
        if (error instanceof ConfigError) {
          process.stderr.write(`${error.problems.map((p) => terminalText(`${p.file}:${p.line}:${p.col} ${p.message}`, 4096)).join('\n')}\n`);
          process.exitCode = 1;
          return;
        }
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          command.error(`error: cannot read ${opts.input}: no such file`, { exitCode: 2 });
        }
        throw error;
      }
    });
}

/** A report file that could not be written (a missing directory, no permission): code `output-unwritable`. */
class OutputFileError extends MeshwardenError {}

/** Writes one of the report files, naming the option and the file when it cannot. */
async function writeOutput(option: string, file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new OutputFileError('output-unwritable', `cannot write ${option} ${file}: ${(error as NodeJS.ErrnoException).code ?? 'write failed'}`, { cause: error });
  }
}

/** The `playbookVars` of a service config file, its problems thrown as a ConfigError. */
async function playbookVarsFrom(file: string): Promise<PlaybookVarOverrides> {
  const loaded = await loadConfig([file], { serviceConfigs: true });
  if (loaded.problems.length > 0) throw new ConfigError(loaded.problems);
  const service = loaded.services[0];
  if (service === undefined || loaded.services.length > 1 || loaded.files.length !== 1) {
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: 'expected one document of kind ServiceConfig; pass the service config file itself' }]);
  }
  return service.value.playbookVars;
}
