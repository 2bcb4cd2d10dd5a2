import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { Ledger } from '../audit/ledger.js';
import { FileSilenceStore } from '../silences/file-silence-store.js';
import { createSilence, isActive, type StoredSilence } from '../silences/silence.js';
import { MatcherError } from '../silences/silence-matcher.js';
import { silenceCreatedRecord, silenceExpiredRecord, type SilenceActor } from '../silences/silence-record.js';
import type { SilenceStore } from '../silences/silence-store.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { parseDuration } from '../shared/duration.js';
import { LedgerError, MeshwardenError } from '../shared/errors.js';
import { terminalText } from '../shared/terminal-text.js';
import { ConsoleClient } from './console-client.js';
import { LEDGER_KEY_ENV, ledgerSigningFromOption } from './ledger-key-option.js';
import { SilenceServiceClient } from './silence-service-client.js';

/** Where the command finds the silences: a state directory, the running service, or the cluster's ConfigMap. */
interface StoreOptions {
  readonly stateDir?: string;
  readonly ledgerKey?: string;
  readonly server?: string;
  readonly tokenFile?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly inCluster?: boolean;
  readonly namespace: string;
  readonly configMap: string;
}

interface AddOptions extends StoreOptions {
  readonly matcher: string[];
  readonly duration?: string;
  readonly startsAt?: string;
  readonly endsAt?: string;
  readonly comment: string;
  readonly author?: string;
}

/**
 * Where a change goes: a state directory (its store and its ledger), or the service (which stores
 * it where every replica reads it and records it in its ledger).
 */
type Target =
  | { readonly kind: 'state-dir'; readonly store: SilenceStore; readonly ledger: Ledger; readonly actor: SilenceActor }
  | { readonly kind: 'service'; readonly service: SilenceServiceClient };

/**
 * `meshwarden silence add|list|expire`: silences like Alertmanager's, against a state directory
 * (`--state-dir`, the embedded mode and a single replica) or the running service (`--server`, the
 * store every replica reads). Every add and expire is recorded in the audit ledger: the directory's
 * own, or the service's. `list` also reads the cluster's ConfigMap directly (`--kubeconfig`,
 * `--in-cluster`); changing it that way would leave no record, so add and expire go through the
 * service. A silenced step is not executed; the ledger records what it would have done and which
 * silence held it back.
 */
export function silenceCommand(clock: Clock = systemClock, out: (text: string) => void = (text) => process.stdout.write(text)): Command {
  const silence = new Command('silence').description('hold back playbook steps matching a set of matchers for a time (like Alertmanager silences)');
  withChangeTarget(silence.command('add'))
    .description('add a silence, recorded in the audit ledger; prints its id')
    .requiredOption('-m, --matcher <matcher>', 'label=value, label!=value, label=~regex or label!~regex; labels: detector, entity, kind, namespace, workload, pod, principal, playbook, action (repeat; all must hold)', collect, [])
    .option('--duration <duration>', 'how long from its start, e.g. 30m, 4h, 2d (default 2h unless --ends-at)')
    .option('--starts-at <time>', 'ISO-8601 start (default: now); a replay is silenced at its events\' time')
    .option('--ends-at <time>', 'ISO-8601 end, instead of --duration')
    .requiredOption('--comment <text>', 'why: shown in the ledger, the report and Slack')
    .option('--author <name>', 'who adds it (default: the local user name; through --server: the token\'s name); recorded beside your OS user or token identity')
    .action(async (opts: AddOptions) => {
      const now = clock.now();
      const startsAt = opts.startsAt === undefined ? undefined : parseTime(opts.startsAt, '--starts-at');
      if (opts.endsAt !== undefined && opts.duration !== undefined) throw usage('give --duration or --ends-at, not both');
      const endsAt = opts.endsAt === undefined ? undefined : parseTime(opts.endsAt, '--ends-at');
      const durationMs = endsAt !== undefined ? undefined : parseDuration(opts.duration ?? '2h');
      if (endsAt === undefined && (durationMs === undefined || durationMs <= 0)) throw usage(`--duration ${JSON.stringify(opts.duration)} is not a duration; write e.g. 30m, 4h, 2d`);
      const target = await targetFrom(opts, clock);
      if (target.kind === 'service') {
        // The service's clock sets the start and end: a laptop's clock off by minutes does not shift the silence.
        const stored = await target.service.add({
          matchers: opts.matcher, comment: opts.comment, ...(opts.author !== undefined ? { author: opts.author } : {}),
          ...(startsAt !== undefined ? { startsAt } : {}), ...(endsAt !== undefined ? { endsAt } : { durationMs: durationMs ?? 0 }),
        });
        out(`${stored.id}\n`);
        return;
      }
      const start = startsAt ?? now;
      let stored: StoredSilence;
      try {
        stored = createSilence({ matchers: opts.matcher, startsAt: start, endsAt: endsAt ?? start + (durationMs ?? 0), createdBy: opts.author ?? localUser(), comment: opts.comment }, now);
      } catch (error) {
        if (error instanceof MatcherError) throw error;
        if (error instanceof RangeError) throw usage(error.message);
        throw error;
      }
      await target.store.add(stored);
      target.ledger.append('decision', silenceCreatedRecord(stored, target.actor));
      await target.ledger.flush();
      out(`${stored.id}\n`);
    });
  withListSource(silence.command('list'))
    .description('list the silences (active and pending; --all for expired ones too)')
    .addOption(new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .option('--all', 'include expired silences')
    .action(async (opts: StoreOptions & { output: 'table' | 'json'; all?: boolean }) => {
      const now = clock.now();
      const all = opts.server !== undefined ? await (await serviceFrom(opts)).list() : await (await storeFrom(opts, clock)).list();
      const silences = all.filter((s) => opts.all === true || s.endsAt > now);
      if (opts.output === 'json') {
        out(`${JSON.stringify(silences.map((s) => ({ ...s, state: stateOf(s, now), startsAt: iso(s.startsAt), endsAt: iso(s.endsAt), createdAt: iso(s.createdAt) })), null, 2)}\n`);
        return;
      }
      if (silences.length === 0) {
        out('no silences\n');
        return;
      }
      for (const s of silences) {
        // Matchers, comments and authors are whoever wrote them: escaped before they reach the terminal.
        out(`${s.id}  ${stateOf(s, now)}  ${iso(s.startsAt)} .. ${iso(s.endsAt)}  by ${terminalText(s.createdBy, 256)}\n`);
        out(`  ${s.matchers.map((m) => terminalText(m, 600)).join('  ')}\n`);
        if (s.comment !== '') out(`  ${terminalText(s.comment, 1024)}\n`);
      }
    });
  withChangeTarget(silence.command('expire'))
    .description('end a silence now, recorded in the audit ledger')
    .argument('<id>', 'the silence id (from add or list)')
    .option('--author <name>', 'who expires it (default: the local user name; through --server: the token\'s name)')
    .action(async (id: string, opts: StoreOptions & { author?: string }) => {
      const target = await targetFrom(opts, clock);
      let expired: StoredSilence | undefined;
      if (target.kind === 'service') {
        expired = await target.service.expire(id, opts.author);
      } else {
        const at = clock.now();
        expired = await target.store.expire(id, at, opts.author ?? localUser());
        if (expired !== undefined) {
          target.ledger.append('decision', silenceExpiredRecord(expired, target.actor, at));
          await target.ledger.flush();
        }
      }
      if (expired === undefined) throw new MeshwardenError('silence-not-found', `no silence with id ${JSON.stringify(id)}`);
      out(`expired ${expired.id} at ${iso(expired.endsAt)}\n`);
    });
  return silence;
}

function withServiceOptions(command: Command): Command {
  return command
    .option('--server <url>', 'the running service (its HTTP listener, e.g. http://127.0.0.1:8080 through kubectl port-forward): the cluster\'s silences, recorded in its ledger')
    .option('--token-file <file>', 'with --server: the file holding your console token');
}

/** Options of add and expire: a state directory (and its ledger key), or the service. */
function withChangeTarget(command: Command): Command {
  return withServiceOptions(command.option('--state-dir <dir>', 'the state directory of `meshwarden run` or of a single replica (silences.json; recorded in its audit ledger)'))
    .addOption(new Option('--ledger-key <file>', 'with --state-dir whose ledger is signed: its key').env(LEDGER_KEY_ENV))
    // Kept so a command line that names the cluster's ConfigMap gets told where changes go now.
    .addOption(new Option('--kubeconfig <file>').hideHelp())
    .addOption(new Option('--in-cluster').hideHelp())
    .addOption(new Option('-n, --namespace <namespace>').default('meshwarden').hideHelp())
    .addOption(new Option('--config-map <name>').default('meshwarden-silences').hideHelp());
}

/** Options of list: any of the three sources. */
function withListSource(command: Command): Command {
  return withServiceOptions(command.option('--state-dir <dir>', 'the state directory of `meshwarden run` or of a single replica (silences.json)'))
    .option('--kubeconfig <file>', 'the cluster\'s silences (ConfigMap), with this kubeconfig')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--in-cluster', 'the cluster\'s silences, with the pod\'s ServiceAccount')
    .option('-n, --namespace <namespace>', 'the engine\'s namespace (cluster)', 'meshwarden')
    .option('--config-map <name>', 'the silences ConfigMap (cluster)', 'meshwarden-silences');
}

/** Where an add or expire goes; the state directory's ledger is opened before anything changes. */
async function targetFrom(opts: StoreOptions, clock: Clock): Promise<Target> {
  if (opts.kubeconfig !== undefined || opts.inCluster === true) {
    throw usage('the cluster\'s silences are added and expired through the service, which records each change in its audit ledger: use --server <url> --token-file <file> (console.tokens); --kubeconfig and --in-cluster only list them');
  }
  if (opts.stateDir !== undefined && opts.server !== undefined) throw usage('give --state-dir or --server, not both');
  if (opts.server !== undefined) return { kind: 'service', service: await serviceFrom(opts) };
  if (opts.stateDir === undefined) throw usage('say where the silences are: --state-dir <dir> (embedded mode), or --server <url> --token-file <file> (the running service)');
  let ledger: Ledger;
  try {
    ledger = await Ledger.open(join(opts.stateDir, 'audit'), clock, await ledgerSigningFromOption(opts.ledgerKey, () => undefined));
  } catch (error) {
    // Nothing is changed that the ledger could not record: a broken or signed ledger without its key refuses first.
    if (error instanceof LedgerError) throw new MeshwardenError(error.code, `${error.message}; the silence was not changed`, { cause: error });
    throw error;
  }
  return { kind: 'state-dir', store: new FileSilenceStore(opts.stateDir, clock), ledger, actor: { via: 'state-dir', osUser: localUser() } };
}

async function serviceFrom(opts: StoreOptions): Promise<SilenceServiceClient> {
  if (opts.server === undefined) throw usage('--server is missing');
  if (opts.tokenFile === undefined) throw usage('--server needs --token-file: the file holding your console token');
  return new SilenceServiceClient(await ConsoleClient.open(opts.server, opts.tokenFile));
}

async function storeFrom(opts: StoreOptions, clock: Clock): Promise<SilenceStore> {
  const cluster = opts.kubeconfig !== undefined || opts.inCluster === true;
  if (opts.stateDir !== undefined && cluster) throw usage('give --state-dir or --kubeconfig/--in-cluster, not both');
  if (opts.stateDir !== undefined) return new FileSilenceStore(opts.stateDir, clock);
  if (!cluster) throw usage('say where the silences are: --state-dir <dir> (embedded mode), --server <url> (the running service), or --kubeconfig <file> / --in-cluster (the cluster\'s ConfigMap)');
  // The Kubernetes client loads only for the cluster's silences, not with every command.
  const [{ KubeConfig }, { KubeSilenceStore }] = await Promise.all([import('@kubernetes/client-node'), import('../silences/kube-silence-store.js')]);
  const kube = new KubeConfig();
  if (opts.inCluster === true) kube.loadFromCluster();
  else if (opts.kubeconfig !== undefined) kube.loadFromFile(opts.kubeconfig);
  if (opts.context !== undefined) kube.setCurrentContext(opts.context);
  return new KubeSilenceStore(kube, opts.namespace, clock, opts.configMap);
}

function stateOf(s: StoredSilence, now: number): 'active' | 'pending' | 'expired' {
  if (isActive(s, now)) return 'active';
  return s.startsAt > now ? 'pending' : 'expired';
}

function parseTime(text: string, flag: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw usage(`${flag} ${JSON.stringify(text)} is not a time; write ISO-8601, e.g. 2026-11-03T09:00:00Z`);
  return ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function usage(message: string): MeshwardenError {
  return new MeshwardenError('usage', message);
}
