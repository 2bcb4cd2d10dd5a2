import { Command, Option } from 'commander';
import { caseStory } from '../console/case-story.js';
import { incidentStory } from '../console/incident-story.js';
import { silenceStory } from '../console/silence-story.js';
import { exportLedger, type ExportFormat } from '../console/ledger-export.js';
import { ledgerFileIn } from '../console/ledger-records.js';
import { systemClock } from '../shared/clock.js';
import { terminalText } from '../shared/terminal-text.js';
import { parseSince } from './console-source.js';
import { EXIT_CODE } from './exit-code.js';
import { formatTable, outputOption, renderOutput, type OutputFormat } from './output-format.js';

const stateDirOption = (): Option => new Option('--state-dir <dir>', 'the state directory whose ledger to read').default('.meshwarden').env('MESHWARDEN_STATE_DIR');

/** A story `audit show` tells: of an incident, a case or a silence. */
type Story = Awaited<ReturnType<typeof incidentStory | typeof caseStory | typeof silenceStory>>;

/** The story of whatever `id` names in the ledger: an incident first, then a case, then a silence. */
async function storyOf(file: string, id: string): Promise<{ story: NonNullable<Story>; subject: string } | undefined> {
  const incident = await incidentStory(file, id);
  if (incident !== undefined) return { story: incident, subject: 'incident' };
  const kase = await caseStory(file, id);
  if (kase !== undefined) return { story: kase, subject: 'case' };
  const silence = await silenceStory(file, id);
  return silence === undefined ? undefined : { story: silence, subject: 'silence' };
}

/** `meshwarden audit show <id>`: the whole story of an incident, a case or a silence, in the order it was recorded. */
export function auditShowCommand(): Command {
  return new Command('show')
    .description('the whole story of one incident, case or silence from the ledger: anomalies, decisions, approvals, actions and refusals, in order')
    .argument('<id>', 'an incident (meshwarden incidents list), a case (meshwarden cases list: every incident of it) or a silence (meshwarden silence list)')
    .addOption(stateDirOption())
    .addOption(outputOption())
    .action(async (id: string, opts: { stateDir: string; output: OutputFormat }) => {
      const found = await storyOf(await ledgerFileIn(opts.stateDir), id);
      if (found === undefined) {
        process.stderr.write(`error: the ledger in ${terminalText(opts.stateDir, 256)} has no record of an incident, case or silence ${terminalText(id, 128)}\n`);
        process.exitCode = EXIT_CODE.usage;
        return;
      }
      const { story, subject } = found;
      process.stdout.write(renderOutput(opts.output, story, () => {
        const table = formatTable(['SEQ', 'RECORDED', 'TYPE', 'WHAT'], story.entries.map((e) => [String(e.seq), e.recordedAt, e.type, e.summary]), 400);
        if (!('case' in story)) return table;
        // A case's story opens with what the case is: its root and incidents, and where it went when merged.
        const { root, incidents, state, mergedInto } = story.case;
        return `${terminalText(`case ${story.caseId}: root ${root}, ${incidents.length} incident(s), ${state}${mergedInto !== undefined ? ` into ${mergedInto}` : ''}`, 1024)}\n${table}`;
      }));
      if (story.omitted > 0) process.stderr.write(`note: ${story.omitted} later record(s) of this ${subject} are not shown (meshwarden audit export has them all)\n`);
      if (story.unreadable > 0) process.stderr.write(`note: ${story.unreadable} ledger line(s) are not records: run meshwarden audit verify\n`);
    });
}

/** `meshwarden audit export --format jsonl|csv [--since]`: every record, streamed to stdout. */
export function auditExportCommand(): Command {
  return new Command('export')
    .description('write the ledger\'s records to stdout as JSON lines (chain fields included) or CSV, oldest first')
    .addOption(stateDirOption())
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--since <duration|time>', 'only records since then: "24h", "7d" or a time')
    .action(async (opts: { stateDir: string; format: ExportFormat; since?: string }) => {
      const since = parseSince(opts.since, systemClock.now());
      const file = await ledgerFileIn(opts.stateDir);
      const { unreadable } = await exportLedger(file, opts.format, since, (line) => (process.stdout.write(line) ? undefined : new Promise<void>((resolve) => { process.stdout.once('drain', resolve); })));
      if (unreadable > 0) process.stderr.write(`note: ${unreadable} ledger line(s) are not records and were not exported: run meshwarden audit verify\n`);
    });
}
