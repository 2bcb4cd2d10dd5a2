/**
 * The embedded mode: one machine, no cluster. Replays a file (or stdin) through the pipeline in
 * dry-run and keeps its state in a local directory.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline, isoOrNumber, type BreakerEvent, type IncidentSummary, type PipelineOptions } from '../app.js';
import { DetectionPool } from '../workers/detection-pool.js';
import { PartitionedReplay } from './partitioned-replay.js';
import { inThreadReplay, type Replay } from './replay.js';
import { Ledger, type LedgerSigning } from '../audit/ledger.js';
import { loadConfig } from '../config/load-config.js';
import type { Anomaly } from '../detect/anomaly.js';
import { loadAutoencoders } from '../detect/autoencoder/load-autoencoders.js';
import type { ActionRecord } from '../playbook/playbook-engine.js';
import type { CaseSummary } from '../triage/case-tracker.js';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { FileSilenceStore } from '../silences/file-silence-store.js';
import { SilenceCache } from '../silences/silence-cache.js';
import { DeadLetterFile } from '../sources/dead-letter-file.js';
import { InputError } from '../sources/input-error.js';
import { readLines } from '../sources/line-source.js';
import { moveStateAside, readState, writeState } from './engine-state-file.js';
import type { SafetyGuard } from '../playbook/safety-guard.js';
import { applyVarOverrides, type PlaybookVarOverrides } from '../playbook/playbook-vars.js';
import { policyGate, type PolicyGateConfig } from '../policy/policy-gate.js';
import { REPORT_VERSION } from './report-schema.js';
import { DEFAULT_PROGRESS_EVERY, type RunProgress } from './run-progress.js';

function policyFor(config: PolicyGateConfig, clock: Clock): (guard: SafetyGuard) => ReturnType<typeof policyGate> {
  return (guard) => policyGate(config, { guard, clock });
}

/** Options of an embedded (single machine, file replay) run. */
export interface EmbeddedRunOptions {
  readonly input: string;
  readonly configPaths: readonly string[];
  readonly stateDir: string;
  readonly pipeline?: Partial<PipelineOptions>;
  /**
   * Start with empty state in `stateDir`: the saved event time and baselines are moved aside to
   * `superseded/<time>/` (kept, not deleted); the audit ledger stays and records the fresh start.
   */
  readonly fresh?: boolean;
  /** Signs the audit ledger's checkpoints (`--ledger-key`); without it the ledger is unsigned. */
  readonly ledgerSigning?: LedgerSigning;
  /** Asks this policy about each step (`--policy-url`); the report shows what it said. */
  readonly policy?: PolicyGateConfig;
  /** This install's values for the playbooks' `spec.vars` (`--config`: a service config's `playbookVars`). */
  readonly playbookVars?: PlaybookVarOverrides;
  /**
   * Split the input into this many partitions, as a Kafka topic keyed by entity would split it, and
   * detect on each apart (`--partitions`); default 1: one pipeline over the whole input.
   */
  readonly partitions?: number;
  /**
   * Worker threads the partitions' detection runs on (`--workers`); 0 or 1: in this thread. The
   * report is the same for any number of workers.
   */
  readonly workers?: number;
}

/** What an embedded run reports (also written as JSON with `--report`). */
export interface RunReport {
  /** The format version (see report-schema.ts). */
  readonly reportVersion: typeof REPORT_VERSION;
  readonly input: string;
  readonly messages: number;
  readonly records: number;
  readonly parsed: number;
  readonly deadLettered: number;
  readonly deadLettersByCode: Record<string, number>;
  readonly late: number;
  readonly future: number;
  readonly unattributed: number;
  /** Access-log lines whose caller's address was missing or invalid: counted, never named. */
  readonly unnamedCallers: number;
  readonly windows: number;
  /** Set when reading stopped on an input error (corrupt gzip, read error); the rest was processed. */
  readonly inputError?: { readonly code: string; readonly message: string };
  readonly anomalies: ReportAnomaly[];
  /** Kept for compatibility: every incident, each naming its case (`caseId`, `caseRoot`). */
  readonly incidents: IncidentSummary[];
  /** Incidents that belong together, one entry per case (see triage/case-tracker.ts). */
  readonly cases: CaseSummary[];
  readonly actions: ReportAction[];
  readonly breakers: BreakerEvent[];
  readonly ledger: { readonly path: string; readonly lastSeq: number };
  readonly deadLetterFile: string;
}

/** An anomaly as reported: times as ISO strings. */
export interface ReportAnomaly extends Omit<Anomaly, 'windowStart' | 'windowEnd' | 'entity'> {
  readonly entity: string;
  readonly windowStart: string;
  readonly windowEnd: string;
}

/** An action as reported. */
export interface ReportAction extends Omit<ActionRecord, 'at'> {
  readonly at: string;
}

/** What the embedded run needs from its caller. */
export interface EmbeddedRunDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** One-line notices for the user (the CLI writes them to stderr). */
  readonly notice?: (line: string) => void;
  /**
   * Told how far the replay has got, at most once every `progressEvery` records (the CLI draws a
   * progress line from it). It runs inside the read loop: it must be quick and must not throw.
   */
  readonly progress?: (progress: RunProgress) => void;
  /** Records between two `progress` calls (default {@link DEFAULT_PROGRESS_EVERY}). */
  readonly progressEvery?: number;
}

/**
 * Replays a file (or stdin) through the pipeline in dry-run, keeping state (ledger, dead letters,
 * detector baselines) in `stateDir`. An input that cannot be read on (corrupt gzip, read error)
 * does not throw: what was read is processed and flushed, and the report says where it stopped.
 */
export async function runEmbedded(options: EmbeddedRunOptions, deps: EmbeddedRunDeps): Promise<RunReport> {
  const config = await loadConfig(options.configPaths);
  if (config.problems.length > 0) throw new ConfigError(config.problems);
  const withVars = applyVarOverrides(config.playbooks.map((p) => p.value), options.playbookVars ?? {});
  if (withVars.problems.length > 0) throw new ConfigError(withVars.problems.map((message) => ({ file: 'service config', line: 0, col: 0, path: '', message })));
  const stateDir = resolve(options.stateDir);
  await mkdir(stateDir, { recursive: true });
  const ledger = await Ledger.open(join(stateDir, 'audit'), deps.clock, options.ledgerSigning);
  if (options.fresh === true) {
    const movedTo = await moveStateAside(stateDir, deps.clock);
    ledger.append('run', { event: 'fresh-start', input: options.input, ...(movedTo !== undefined ? { previousStateMovedTo: movedTo } : {}) });
  }
  const deadLetterPath = join(stateDir, 'dead-letters.ndjson');
  const deadLetters = new DeadLetterFile(deadLetterPath, () => deps.clock.now());
  const pipelineOptions: PipelineOptions = { ...DEFAULT_PIPELINE_OPTIONS, ...options.pipeline, dryRun: true };
  const detectorSpecs = config.detectors.map((d) => d.value);
  const autoencoders = await loadAutoencoders(detectorSpecs, stateDir, deps);
  // Silences added with `meshwarden silence add --state-dir`: read once, before the replay.
  const silences = new SilenceCache(new FileSilenceStore(stateDir, deps.clock), deps);
  await silences.load();
  const saved = await readState(stateDir, deps.logger);
  const partitions = options.partitions ?? 1;
  const workers = Math.min(options.workers ?? 1, partitions);
  const pool = partitions > 1 && workers > 1 ? new DetectionPool(workers, deps.logger) : undefined;
  const source = options.input === '-' ? 'stdin' : options.input;
  const shared = { clock: deps.clock, silences, ...(options.policy ? { policy: policyFor(options.policy, deps.clock) } : {}) };
  const pipeline: Replay = partitions > 1
    ? await PartitionedReplay.open({
        partitions, ...(pool ? { pool } : {}), detectors: detectorSpecs, playbooks: withVars.playbooks, options: pipelineOptions,
        sinks: { deadLetters, ledger }, state: saved, source, shared: { ...shared, autoencoders },
      })
    : inThreadReplay(new Pipeline(detectorSpecs, withVars.playbooks, pipelineOptions, { deadLetters, ledger }, saved, { ...shared, autoencoders }), autoencoders, { source, maxMessageBytes: pipelineOptions.maxMessageBytes });
  ledger.append('run', {
    event: 'started', input: options.input, dryRun: true,
    detectors: config.detectors.map((d) => d.value.metadata.name), playbooks: config.playbooks.map((p) => p.value.metadata.name),
    ...(partitions > 1 ? { partitions } : {}),
  });
  const maxLineLength = pipelineOptions.maxMessageBytes;
  let sinceFlush = 0;
  let checkedAge = false;
  let inputError: InputError | undefined;
  const progressEvery = Math.max(1, deps.progressEvery ?? DEFAULT_PROGRESS_EVERY);
  let nextProgressAt = progressEvery;
  let finalState: Awaited<ReturnType<Replay['state']>>;
  try {
    try {
      for await (const line of readLines(options.input, { maxLineLength })) {
        await pipeline.add(line.text, line.position, line.truncated ? line.length : undefined);
        if (deps.progress !== undefined && pipeline.counters.records >= nextProgressAt) {
          nextProgressAt = pipeline.counters.records + progressEvery;
          deps.progress({ counters: { ...pipeline.counters }, eventTime: pipeline.eventTimeReached, anomalies: pipeline.anomalies.length, actions: pipeline.actions.length });
        }
        // Dry runs that ask a policy wait for its answers here (without one nothing is queued).
        await pipeline.drain();
        if (!checkedAge && pipeline.firstEventTime !== undefined) {
          checkedAge = true;
          const first = pipeline.firstEventTime;
          if (first < pipeline.restoredClosedUpTo) {
            deps.notice?.(
              `input starts at ${isoOrNumber(first)}, the state in ${stateDir} has already closed windows up to ${isoOrNumber(pipeline.restoredClosedUpTo)}: ` +
              'its records would be late; use --fresh to start with empty state there (the old state is moved aside, the ledger kept), or --state <new dir> to backtest into its own state',
            );
          }
        }
        // Dead letters are flushed by size as well as by count: a stream of huge bad lines cannot pile up.
        if (++sinceFlush >= 50_000 || deadLetters.full) {
          sinceFlush = 0;
          await Promise.all([ledger.flush(), deadLetters.flush()]);
        }
      }
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      inputError = error;
    }
    await pipeline.finish();
    await pipeline.drain();
    finalState = await pipeline.state();
  } finally {
    await pool?.close();
  }
  const c = pipeline.counters;
  ledger.append('run', {
    event: 'finished', ...c, anomalies: pipeline.anomalies.length, actions: pipeline.actions.length,
    ...(inputError !== undefined ? { endedOn: 'input-error', error: inputError.message } : {}),
  });
  await Promise.all([ledger.flush(), deadLetters.flush(), writeState(stateDir, finalState), ...[...autoencoders.values()].map((m) => m.save())]);
  for (const model of autoencoders.values()) await model.close();
  deps.logger.debug({ counters: c, entities: pipeline.trackedEntities }, 'run finished');
  return {
    reportVersion: REPORT_VERSION,
    input: options.input,
    ...c,
    ...(inputError !== undefined ? { inputError: { code: inputError.code, message: inputError.message } } : {}),
    deadLettersByCode: deadLetters.counts(),
    unnamedCallers: pipeline.unnamedCallers,
    anomalies: pipeline.anomalies.map((a) => ({
      ...a, entity: a.entity.key, windowStart: new Date(a.windowStart).toISOString(), windowEnd: new Date(a.windowEnd).toISOString(),
    })),
    incidents: [...pipeline.incidents].sort((a, b) => (a.openedAt < b.openedAt ? -1 : 1)),
    cases: [...pipeline.cases].sort((a, b) => (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : a.id < b.id ? -1 : 1)),
    actions: pipeline.actions.map((a) => ({ ...a, at: new Date(a.at).toISOString() })),
    breakers: pipeline.breakers,
    ledger: { path: join(stateDir, 'audit'), lastSeq: ledger.lastSeq },
    deadLetterFile: deadLetterPath,
  };
}
