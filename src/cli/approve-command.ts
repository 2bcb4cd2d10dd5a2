import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { FileApprovalStore } from '../approvals/approval-store.js';
import { decideInStateDir } from '../approvals/state-dir-decision.js';
import { Ledger } from '../audit/ledger.js';
import { approvalsResource } from '../console/approvals-resource.js';
import { LedgerError, MeshwardenError } from '../shared/errors.js';
import { systemClock } from '../shared/clock.js';
import { terminalText } from '../shared/terminal-text.js';
import { answerError } from './console-client.js';
import { consoleSource, withSourceOptions, type SourceOptions } from './console-source.js';
import { EXIT_CODE } from './exit-code.js';
import { LEDGER_KEY_ENV, ledgerErrorExitCode, ledgerSigningFromOption } from './ledger-key-option.js';
import type { Verdict } from '../approvals/vote-tally.js';

interface DecideOptions extends SourceOptions {
  readonly as?: string;
  readonly ledgerKey?: string;
}

const SLACK_USER = /^[UW][A-Z0-9]+$/;

/** Says what happened, and sets the exit code: 0 counted or decided, 1 refused. */
function report(result: { kind: 'rejected'; reason: string; detail: string } | { kind: 'counted'; approvals: number; required: number } | { kind: 'decided'; outcome: string; reason: string }, id: string): void {
  const name = terminalText(id, 128);
  if (result.kind === 'rejected') {
    process.stderr.write(`refused (${terminalText(result.reason, 64)}): ${terminalText(result.detail, 1024)}\n`);
    process.exitCode = EXIT_CODE.findings;
  } else if (result.kind === 'counted') {
    process.stdout.write(`approval ${name}: counted, ${result.approvals} of ${result.required} approvals\n`);
  } else {
    process.stdout.write(`approval ${name}: ${terminalText(result.outcome, 64)} (${terminalText(result.reason, 1024)})\n`);
  }
}

/** Through the service: the identity is the token's; `--as`, when given, must be that identity. */
async function decideThroughService(id: string, verdict: Verdict, opts: DecideOptions, source: Extract<Awaited<ReturnType<typeof consoleSource>>, { kind: 'service' }>): Promise<void> {
  // The decision is bound to what the operator is shown: the approval as the service has it now.
  const shown = await source.client.get(`approvals/${encodeURIComponent(id)}`);
  if (shown.status === 404) throw new MeshwardenError('usage', `no approval ${id} on the service`);
  if (shown.status !== 200) throw new MeshwardenError('service-refused', answerError(shown));
  const approval = approvalsResource.schema.parse(shown.body);
  for (const subject of approval.subjects) process.stdout.write(`${verdict === 'approve' ? 'approving' : 'denying'}: ${terminalText(`${subject.action} on ${subject.target}`, 512)}\n`);
  const answer = await source.client.post(`approvals/${encodeURIComponent(id)}/${verdict}`, { binding: approval.binding, ...(opts.as !== undefined ? { as: opts.as } : {}) });
  const body = answer.body as { result?: { type?: string; reason?: string; detail?: string; approvals?: number; required?: number; decision?: { outcome?: string; reason?: string } } } | undefined;
  const result = body?.result;
  if (answer.status !== 200 || result === undefined) {
    if (answer.status === 403) {
      report({ kind: 'rejected', reason: 'forbidden', detail: answerError(answer) }, id);
      return;
    }
    throw new MeshwardenError('service-refused', answerError(answer));
  }
  if (result.type === 'rejected') report({ kind: 'rejected', reason: result.reason ?? '-', detail: result.detail ?? '' }, id);
  else if (result.type === 'approved-by') report({ kind: 'counted', approvals: result.approvals ?? 0, required: result.required ?? 0 }, id);
  else report({ kind: 'decided', outcome: result.decision?.outcome ?? '-', reason: result.decision?.reason ?? '' }, id);
}

/** On a state directory: `--as` is the identity, recorded with the OS user, in the directory's ledger. */
async function decideInStateDirectory(id: string, verdict: Verdict, opts: DecideOptions, stateDir: string): Promise<void> {
  if (opts.as === undefined) throw new MeshwardenError('usage', '--as <slack-user-id> is required on a state directory: the identity you decide as, checked against the approval\'s allow-list');
  if (!SLACK_USER.test(opts.as)) throw new MeshwardenError('usage', `--as ${JSON.stringify(opts.as)} is not a Slack user id (e.g. U012ABCDEF), which is what approval allow-lists name`);
  const shown = await approvalsResource.show(stateDir, id);
  if (shown === undefined) throw new MeshwardenError('usage', `no approval ${id} in ${stateDir}`);
  for (const subject of shown.subjects) process.stdout.write(`${verdict === 'approve' ? 'approving' : 'denying'}: ${terminalText(`${subject.action} on ${subject.target}`, 512)}\n`);
  let ledger;
  try {
    const signing = await ledgerSigningFromOption(opts.ledgerKey, () => undefined);
    ledger = await Ledger.open(join(stateDir, 'audit'), systemClock, signing);
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    process.stderr.write(`error: ${terminalText(error.message, 1024)} [${error.code}]\n`);
    process.exitCode = ledgerErrorExitCode(error) === 1 ? EXIT_CODE.findings : EXIT_CODE.usage;
    return;
  }
  const result = await decideInStateDir(
    { approvalId: id, user: opts.as, osUser: userInfo().username, verdict },
    { store: new FileApprovalStore(stateDir), ledger, clock: systemClock },
  );
  report(result.kind === 'decided' ? { kind: 'decided', outcome: result.decision.outcome, reason: result.decision.reason } : result, id);
}

function decideCommand(verdict: Verdict): Command {
  return withSourceOptions(new Command(verdict).description(`${verdict} a pending approval without Slack, as an allow-listed approver; exit 0 counted or decided, 1 refused, 2 usage error`))
    .argument('<approval-id>', 'the approval (meshwarden approvals list)')
    .option('--as <slack-user-id>', 'on a state directory: the identity you decide as (recorded with your OS user); through --server your token\'s identity is used, and --as must match it')
    .addOption(new Option('--ledger-key <file>', 'on a state directory whose ledger is signed: its key').env(LEDGER_KEY_ENV))
    .action(async (id: string, opts: DecideOptions) => {
      const source = await consoleSource(opts);
      if (source.kind === 'service') await decideThroughService(id, verdict, opts, source);
      else await decideInStateDirectory(id, verdict, opts, source.stateDir);
    });
}

/** `meshwarden approve <id>` and `meshwarden deny <id>`. */
export function decideCommands(): Command[] {
  return [decideCommand('approve'), decideCommand('deny')];
}
