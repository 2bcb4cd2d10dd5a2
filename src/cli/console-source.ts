import { Command, Option } from 'commander';
import { parseDuration } from '../shared/duration.js';
import { MeshwardenError } from '../shared/errors.js';
import { ConsoleClient } from './console-client.js';

/** Where the console reads from: a state directory on this machine, or the running service. */
export type ConsoleSource =
  | { readonly kind: 'state-dir'; readonly stateDir: string }
  | { readonly kind: 'service'; readonly client: ConsoleClient };

/** The options every console command takes to say where to read. */
export interface SourceOptions {
  readonly stateDir: string;
  readonly server?: string;
  readonly tokenFile?: string;
}

/** `--state-dir`, or `--server` with `--token-file` (each also from the environment). */
export function withSourceOptions(command: Command): Command {
  return command
    .addOption(new Option('--state-dir <dir>', 'the state directory to read (of `meshwarden run --state`, or a service\'s stateDir)').default('.meshwarden').env('MESHWARDEN_STATE_DIR'))
    .addOption(new Option('--server <url>', 'ask the running service instead (its HTTP listener, e.g. http://127.0.0.1:8080 through kubectl port-forward)').env('MESHWARDEN_SERVER'))
    .addOption(new Option('--token-file <file>', 'with --server: the file holding your console token').env('MESHWARDEN_TOKEN_FILE'));
}

/** The source the options name; a server without a token file is a usage error. */
export async function consoleSource(opts: SourceOptions): Promise<ConsoleSource> {
  if (opts.server === undefined) return { kind: 'state-dir', stateDir: opts.stateDir };
  if (opts.tokenFile === undefined) throw new MeshwardenError('usage', '--server needs --token-file (or MESHWARDEN_TOKEN_FILE): the file holding your console token');
  return { kind: 'service', client: await ConsoleClient.open(opts.server, opts.tokenFile) };
}

/** `--since`: a duration back from now ("24h") or a time ("2026-11-02T08:00:00Z"), as epoch ms. */
export function parseSince(text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  const back = parseDuration(text);
  if (back !== undefined) return now - back;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw new MeshwardenError('usage', `--since ${JSON.stringify(text)} is neither a duration ("24h", "7d") nor a time ("2026-11-02T08:00:00Z")`);
  return at;
}

/** `--limit`: a whole number from 1 to 1000. */
export function parseLimit(text: string): number {
  const limit = /^\d{1,4}$/.test(text) ? Number(text) : 0;
  if (limit < 1 || limit > 1000) throw new MeshwardenError('usage', `--limit ${JSON.stringify(text)} is not a number from 1 to 1000`);
  return limit;
}
