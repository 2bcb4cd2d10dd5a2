import { Command, Option } from 'commander';
import type { AnyConsoleResource } from '../console/console-resource.js';
import { CONSOLE_RESOURCES } from '../console/console-resources.js';
import { systemClock } from '../shared/clock.js';
import { MeshwardenError } from '../shared/errors.js';
import { terminalText } from '../shared/terminal-text.js';
import { answerError } from './console-client.js';
import { consoleSource, parseLimit, parseSince, withSourceOptions, type SourceOptions } from './console-source.js';
import { EXIT_CODE } from './exit-code.js';
import { formatFields, formatTable, outputOption, renderOutput, type OutputFormat } from './output-format.js';

interface ListOptions extends SourceOptions {
  readonly output: OutputFormat;
  readonly limit: string;
  readonly since?: string;
}

/** The service's answer for one resource, checked item by item against the resource's schema. */
function checkedItems(resource: AnyConsoleResource, body: unknown): { items: unknown[]; notes: string[] } {
  const answer = body as { items?: unknown; notes?: unknown } | undefined;
  if (!Array.isArray(answer?.items)) throw new MeshwardenError('service-answer', `the service's list of ${resource.name} is not one`);
  const notes = Array.isArray(answer.notes) ? answer.notes.filter((n): n is string => typeof n === 'string') : [];
  try {
    return { items: answer.items.map((item) => resource.parse(item)), notes };
  } catch {
    throw new MeshwardenError('service-answer', `the service's list of ${resource.name} does not have the shape this CLI knows: is it the same version?`);
  }
}

function listCommand(resource: AnyConsoleResource): Command {
  return withSourceOptions(new Command('list').description(`list ${resource.name}, newest first`))
    .addOption(outputOption())
    .addOption(new Option('--limit <n>', 'most items listed (1-1000)').default('50'))
    .option('--since <duration|time>', 'only those since then: "24h", "7d" or a time')
    .action(async (opts: ListOptions) => {
      const query = { limit: parseLimit(opts.limit), ...(opts.since !== undefined ? { since: parseSince(opts.since, systemClock.now()) ?? 0 } : {}) };
      const source = await consoleSource(opts);
      let result: { items: readonly unknown[]; notes: readonly string[] };
      if (source.kind === 'state-dir') {
        result = await resource.list(source.stateDir, query);
      } else {
        const answer = await source.client.get(resource.name, { limit: String(query.limit), ...(query.since !== undefined ? { since: String(query.since) } : {}) });
        if (answer.status !== 200) throw new MeshwardenError('service-refused', answerError(answer));
        result = checkedItems(resource, answer.body);
      }
      process.stdout.write(renderOutput(opts.output, result.items, () => (result.items.length === 0 ? `no ${resource.name}\n` : formatTable(resource.header, result.items.map((i) => resource.row(i))))));
      for (const note of result.notes) process.stderr.write(`note: ${terminalText(note, 1024)}\n`);
    });
}

function showCommand(resource: AnyConsoleResource): Command {
  return withSourceOptions(new Command('show').description(`show one ${resource.singular} in full`))
    .argument('<id>', `the ${resource.singular}'s id (from list)`)
    .addOption(outputOption())
    .action(async (id: string, opts: SourceOptions & { output: OutputFormat }) => {
      const source = await consoleSource(opts);
      let item: unknown;
      if (source.kind === 'state-dir') {
        item = await resource.show(source.stateDir, id);
      } else {
        const answer = await source.client.get(`${resource.name}/${encodeURIComponent(id)}`);
        if (answer.status !== 200 && answer.status !== 404) throw new MeshwardenError('service-refused', answerError(answer));
        item = answer.status === 404 ? undefined : resource.parse(answer.body);
      }
      if (item === undefined) {
        process.stderr.write(`error: no ${resource.singular} ${terminalText(id, 256)}\n`);
        process.exitCode = EXIT_CODE.usage;
        return;
      }
      process.stdout.write(renderOutput(opts.output, item, () => formatFields(resource.fields(item))));
    });
}

/** `meshwarden incidents|runs|approvals list|show <id>`: one command per console resource. */
export function consoleCommands(): Command[] {
  return CONSOLE_RESOURCES.map((resource) =>
    new Command(resource.name).description(resource.description).addCommand(listCommand(resource)).addCommand(showCommand(resource)));
}
