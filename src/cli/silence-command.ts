import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { FileSilenceStore } from '../silences/file-silence-store.js';
import { createSilence, isActive, type StoredSilence } from '../silences/silence.js';
import { MatcherError } from '../silences/silence-matcher.js';
import type { SilenceStore } from '../silences/silence-store.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { parseDuration } from '../shared/duration.js';
import { MeshwardenError } from '../shared/errors.js';
import { terminalText } from '../shared/terminal-text.js';

/** Where the command finds the silences: a state directory or the cluster. */
interface StoreOptions {
  readonly stateDir?: string;
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
 * `meshwarden silence add|list|expire`: silences like Alertmanager's, against a state directory
 * (`--state-dir`, the embedded mode and a single replica) or the cluster (`--kubeconfig`,
 * `--in-cluster`: the ConfigMap every replica reads). A silenced step is not executed; the ledger
 * records what it would have done and which silence held it back.
 */
export function silenceCommand(clock: Clock = systemClock, out: (text: string) => void = (text) => process.stdout.write(text)): Command {
  const silence = new Command('silence').description('hold back playbook steps matching a set of matchers for a time (like Alertmanager silences)');
  withStore(silence.command('add'))
    .description('add a silence; prints its id')
    .requiredOption('-m, --matcher <matcher>', 'label=value, label!=value, label=~regex or label!~regex; labels: detector, entity, kind, namespace, workload, pod, principal, playbook, action (repeat; all must hold)', collect, [])
    .option('--duration <duration>', 'how long from its start, e.g. 30m, 4h, 2d (default 2h unless --ends-at)')
    .option('--starts-at <time>', 'ISO-8601 start (default: now); a replay is silenced at its events\' time')
    .option('--ends-at <time>', 'ISO-8601 end, instead of --duration')
    .requiredOption('--comment <text>', 'why: shown in the ledger, the report and Slack')
    .option('--author <name>', 'who adds it (default: the local user name)')
    .action(async (opts: AddOptions) => {
      const now = clock.now();
      const startsAt = opts.startsAt === undefined ? now : parseTime(opts.startsAt, '--starts-at');
      let endsAt: number;
      if (opts.endsAt !== undefined) {
        if (opts.duration !== undefined) throw usage('give --duration or --ends-at, not both');
        endsAt = parseTime(opts.endsAt, '--ends-at');
      } else {
        const ms = parseDuration(opts.duration ?? '2h');
        if (ms === undefined || ms <= 0) throw usage(`--duration ${JSON.stringify(opts.duration)} is not a duration; write e.g. 30m, 4h, 2d`);
        endsAt = startsAt + ms;
      }
      let stored: StoredSilence;
      try {
        stored = createSilence({ matchers: opts.matcher, startsAt, endsAt, createdBy: opts.author ?? localUser(), comment: opts.comment }, now);
      } catch (error) {
        if (error instanceof MatcherError) throw error;
        if (error instanceof RangeError) throw usage(error.message);
        throw error;
      }
      await (await storeFrom(opts, clock)).add(stored);
      out(`${stored.id}\n`);
    });
  withStore(silence.command('list'))
    .description('list the silences (active and pending; --all for expired ones too)')
    .addOption(new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .option('--all', 'include expired silences')
    .action(async (opts: StoreOptions & { output: 'table' | 'json'; all?: boolean }) => {
      const now = clock.now();
      const silences = (await (await storeFrom(opts, clock)).list()).filter((s) => opts.all === true || s.endsAt > now);
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
  withStore(silence.command('expire'))
    .description('end a silence now')
    .argument('<id>', 'the silence id (from add or list)')
    .option('--author <name>', 'who expires it (default: the local user name)')
    .action(async (id: string, opts: StoreOptions & { author?: string }) => {
      const expired = await (await storeFrom(opts, clock)).expire(id, clock.now(), opts.author ?? localUser());
      if (expired === undefined) throw new MeshwardenError('silence-not-found', `no silence with id ${JSON.stringify(id)}`);
      out(`expired ${expired.id} at ${iso(expired.endsAt)}\n`);
    });
  return silence;
}

function withStore(command: Command): Command {
  return command
    .option('--state-dir <dir>', 'the state directory of `meshwarden run` or of a single replica (silences.json)')
    .option('--kubeconfig <file>', 'the cluster\'s silences (ConfigMap), with this kubeconfig')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--in-cluster', 'the cluster\'s silences, with the pod\'s ServiceAccount')
    .option('-n, --namespace <namespace>', 'the engine\'s namespace (cluster)', 'meshwarden')
    .option('--config-map <name>', 'the silences ConfigMap (cluster)', 'meshwarden-silences');
}

async function storeFrom(opts: StoreOptions, clock: Clock): Promise<SilenceStore> {
  const cluster = opts.kubeconfig !== undefined || opts.inCluster === true;
  if (opts.stateDir !== undefined && cluster) throw usage('give --state-dir or --kubeconfig/--in-cluster, not both');
  if (opts.stateDir !== undefined) return new FileSilenceStore(opts.stateDir, clock);
  if (!cluster) throw usage('say where the silences are: --state-dir <dir> (embedded mode), or --kubeconfig <file> / --in-cluster (the cluster)');
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
