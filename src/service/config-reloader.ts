import type { PartitionEngine } from './partition-engine.js';
import { canonicalJson } from '../audit/canonical-json.js';
import type { ConfigSet, ConfigSetResult } from '../config/config-set.js';
import type { AutoencoderDetector } from '../detect/autoencoder/autoencoder-detector.js';
import type { DetectorSpec } from '../detect/detector-spec.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import type { RunExecutor } from '../playbook/run-executor.js';
import type { EngineMetrics } from '../server/metrics.js';
import { describeError, formatProblem, type ConfigProblem } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { createHash } from 'node:crypto';

/** What the service runs with: the loaded set and the models of its autoencoder detectors. */
export interface ActiveConfig {
  readonly set: ConfigSet;
  readonly autoencoders: ReadonlyMap<string, AutoencoderDetector>;
}

/** Where a new set goes once it is accepted. */
export interface ReloadTarget {
  /** The pipelines running now (one per assigned partition). */
  pipelines(): Iterable<Pick<PartitionEngine, 'reconfigure'>>;
  /** Executes the runs of every pipeline; new runs start with the new playbooks. */
  executor(): RunExecutor | undefined;
  /** Told of the new set after the pipelines and the executor switched (partitions assigned later use it). */
  swapped(next: ActiveConfig): void;
}

/** What the reloader needs, passed in. */
export interface ConfigReloaderDeps {
  /** Loads and checks the files as `meshwarden check` does (see loadConfigSet). */
  readonly load: () => Promise<ConfigSetResult>;
  /** Opens the models of these autoencoder detectors (new or changed ones). */
  readonly loadAutoencoders: (detectors: readonly DetectorSpec[]) => Promise<ReadonlyMap<string, AutoencoderDetector>>;
  readonly target: ReloadTarget;
  readonly ledger: { append(type: 'decision', data: unknown): unknown; flush(): Promise<void> };
  readonly logger: Logger;
  readonly metrics: Pick<EngineMetrics, 'configReloads' | 'configLoaded'>;
}

/** What one reload did. */
export type ReloadOutcome =
  | { readonly result: 'unchanged' }
  | { readonly result: 'accepted'; readonly sha256: string; readonly fresh: readonly string[] }
  | { readonly result: 'refused'; readonly sha256: string; readonly problems: readonly string[] };

/** Names added, changed, removed and kept between two versions of a list of named specs. */
interface NamedDiff {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
  readonly unchanged: string[];
}

/** Problems listed in one ledger record; the count says how many there were in all. */
const MAX_RECORDED_PROBLEMS = 100;
const MAX_PROBLEM_CHARS = 1_000;

/**
 * Swaps the service's detectors and playbooks for the files' current content, all or nothing. The
 * new set is loaded and checked as `meshwarden check` checks it; any problem refuses the whole set
 * (the running one stays, and the error log lists every problem). An accepted set switches every
 * partition's pipeline and the executor at once, between two records: unchanged detectors keep
 * their baselines, a changed one starts fresh, and a run in flight finishes with the playbook it
 * started with. Every reload, accepted or refused, is a ledger record naming each file's sha256.
 * A set identical to the last one tried is not tried again (watch events and polls repeat).
 */
export class ConfigReloader {
  private active: ActiveConfig;
  private lastTried: string;
  private reloading: Promise<ReloadOutcome> | undefined;

  constructor(private readonly deps: ConfigReloaderDeps, initial: ActiveConfig) {
    this.active = initial;
    this.lastTried = initial.set.sha256;
    deps.metrics.configLoaded.set({ sha256: initial.set.sha256 }, 1);
  }

  /** The set running now. */
  get current(): ActiveConfig {
    return this.active;
  }

  /** Loads the files again and swaps them in if they check; one reload at a time. */
  async reload(): Promise<ReloadOutcome> {
    while (this.reloading) await this.reloading.catch(() => undefined);
    this.reloading = this.attempt();
    try {
      return await this.reloading;
    } finally {
      this.reloading = undefined;
    }
  }

  private async attempt(): Promise<ReloadOutcome> {
    const { logger, metrics, ledger } = this.deps;
    const loaded = await this.deps.load();
    const sha256 = loaded.ok ? loaded.set.sha256 : loaded.sha256;
    // A refused set is also keyed by its problems: a file refused unread has no hash of its own.
    const key = loaded.ok ? sha256 : digest(`${sha256}\n${loaded.problems.map(formatProblem).join('\n')}`);
    if (key === this.lastTried) return { result: 'unchanged' };
    this.lastTried = key;
    const previous = this.active.set.sha256;
    if (!loaded.ok) return this.refuse(sha256, previous, loaded.files, loaded.problems);
    const next = loaded.set;
    const detectors = diff(this.active.set.detectors, next.detectors);
    const playbooks = diff(this.active.set.playbooks, next.playbooks);
    let autoencoders: Map<string, AutoencoderDetector>;
    let retired: AutoencoderDetector[];
    try {
      ({ autoencoders, retired } = await this.models(next.detectors, new Set([...detectors.added, ...detectors.changed])));
    } catch (error) {
      return this.refuse(sha256, previous, next.files, [{ file: 'autoencoder models', line: 0, col: 0, path: '', message: describeError(error) }]);
    }
    // The switch itself is synchronous: no record is scored half with one set and half with the other.
    const fresh = new Set(detectors.changed);
    for (const pipeline of this.deps.target.pipelines()) pipeline.reconfigure(next.detectors, next.playbooks, fresh, autoencoders);
    this.deps.target.executor()?.usePlaybooks(new Map(next.playbooks.map((p) => [p.metadata.name, p])));
    this.active = { set: next, autoencoders };
    this.deps.target.swapped(this.active);
    metrics.configLoaded.reset();
    metrics.configLoaded.set({ sha256 }, 1);
    metrics.configReloads.inc({ result: 'accepted' });
    ledger.append('decision', {
      event: 'config-reload', result: 'accepted', sha256, previous, files: next.files,
      detectors: { ...detectors, unchanged: detectors.unchanged.length },
      playbooks: { ...playbooks, unchanged: playbooks.unchanged.length },
      freshBaselines: detectors.changed,
      note: detectors.changed.length > 0
        ? `changed detectors start with fresh baselines: ${detectors.changed.join(', ')}; runs in flight finish with the playbook version they started with`
        : 'unchanged detectors keep their baselines; runs in flight finish with the playbook version they started with',
    });
    await ledger.flush();
    for (const warning of next.warnings) logger.warn({ file: warning.file, line: warning.line }, warning.message);
    logger.info({ sha256, previous, detectors, playbooks }, 'configuration reloaded: new detectors and playbooks act from the next record');
    for (const model of retired) {
      await model.save().catch((error: unknown) => { logger.warn({ err: describeError(error) }, 'could not save a replaced autoencoder model'); });
      await model.close().catch(() => undefined);
    }
    return { result: 'accepted', sha256, fresh: detectors.changed };
  }

  private async refuse(sha256: string, previous: string, files: ConfigSet['files'], problems: readonly ConfigProblem[]): Promise<ReloadOutcome> {
    const listed = problems.map((p) => clip(formatProblem(p)));
    this.deps.metrics.configReloads.inc({ result: 'refused' });
    this.deps.ledger.append('decision', {
      event: 'config-reload', result: 'refused', sha256, running: previous, files,
      problemCount: problems.length, problems: listed.slice(0, MAX_RECORDED_PROBLEMS),
    });
    await this.deps.ledger.flush();
    this.deps.logger.error(
      { sha256, running: previous, problems: listed.slice(0, MAX_RECORDED_PROBLEMS), problemCount: problems.length },
      `configuration reload refused: ${problems.length} problem(s); the running detectors and playbooks stay (${previous.slice(0, 12)})\n${listed.slice(0, MAX_RECORDED_PROBLEMS).join('\n')}`,
    );
    return { result: 'refused', sha256, problems: listed };
  }

  /**
   * The models of the new set: unchanged autoencoder detectors keep theirs; new and changed ones
   * are opened from the state directory as at a start (the replaced model is saved first, so the
   * new one reads what it learned; the loader refuses a model trained on other features). Models
   * of changed and removed detectors are retired once the swap is done.
   */
  private async models(detectors: readonly DetectorSpec[], renewed: ReadonlySet<string>): Promise<{ autoencoders: Map<string, AutoencoderDetector>; retired: AutoencoderDetector[] }> {
    const old = this.active.autoencoders;
    const wanted = detectors.filter((d) => d.spec.autoencoder !== undefined);
    const toOpen = wanted.filter((d) => renewed.has(d.metadata.name) || !old.has(d.metadata.name));
    for (const d of toOpen) await old.get(d.metadata.name)?.save();
    const opened = toOpen.length > 0 ? await this.deps.loadAutoencoders(toOpen) : new Map<string, AutoencoderDetector>();
    const autoencoders = new Map<string, AutoencoderDetector>();
    for (const d of wanted) {
      const model = opened.get(d.metadata.name) ?? old.get(d.metadata.name);
      if (model) autoencoders.set(d.metadata.name, model);
    }
    const kept = new Set(autoencoders.values());
    return { autoencoders, retired: [...old.values()].filter((m) => !kept.has(m)) };
  }
}

function diff<T extends DetectorSpec | PlaybookSpec>(before: readonly T[], after: readonly T[]): NamedDiff {
  const old = new Map(before.map((s) => [s.metadata.name, canonicalJson(s)]));
  const out: NamedDiff = { added: [], changed: [], removed: [], unchanged: [] };
  const seen = new Set<string>();
  for (const spec of after) {
    const name = spec.metadata.name;
    seen.add(name);
    const was = old.get(name);
    if (was === undefined) out.added.push(name);
    else if (was !== canonicalJson(spec)) out.changed.push(name);
    else out.unchanged.push(name);
  }
  for (const name of old.keys()) if (!seen.has(name)) out.removed.push(name);
  return out;
}

function clip(text: string): string {
  return text.length > MAX_PROBLEM_CHARS ? `${text.slice(0, MAX_PROBLEM_CHARS)}...` : text;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
