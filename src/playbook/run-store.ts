import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionTarget } from '../actions/action-definition.js';
import type { Anomaly } from '../detect/anomaly.js';
import { listJsonFiles, pruneJsonFiles, readJsonFile } from '../shared/state-file.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';
import type { StepPolicyRecord } from './step-policy.js';

/** What one step of a run produced. */
export interface StepResult {
  readonly index: number;
  readonly step: string;
  readonly action: string;
  readonly target: string;
  /** The object acted on, when the step got as far as naming one (live runs; the ledger keeps `target`). */
  readonly targetRef?: ActionTarget;
  /**
   * `silenced`: a silence holds the step back (it would have acted); `covered`: another run took
   * the same step on the same target already. Both are decisions, not actions.
   */
  readonly outcome: 'succeeded' | 'already-done' | 'dry-run' | 'refused' | 'failed' | 'skipped' | 'approved' | 'denied' | 'silenced' | 'covered';
  readonly description: string;
  readonly reason?: string;
  readonly at: number;
  readonly durationMs?: number;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  /** What the policy gate said about the step, when it was asked. */
  readonly policy?: StepPolicyRecord;
}

/** The ledger record type a step result is written as: a refusal, a decision (held back), or an action. */
export function ledgerTypeOf(outcome: StepResult['outcome']): 'refusal' | 'decision' | 'action' {
  if (outcome === 'refused') return 'refusal';
  return outcome === 'silenced' || outcome === 'covered' ? 'decision' : 'action';
}

/** A pending human decision that gates the rest of a run. */
export interface PendingGate {
  readonly step: number;
  readonly approvalId: string;
  readonly deadline: number;
}

/**
 * One playbook run on one incident, persisted after every transition so a restart resumes it:
 * `next` is the first step not yet completed; `inFlight` marks a step that started but whose
 * completion was not recorded (it is re-run, idempotently, on resume).
 */
export interface PlaybookRun {
  readonly id: string;
  readonly playbook: string;
  readonly incidentId: string;
  /** The incident's case when the run was created: its Slack thread and report entry. */
  readonly caseId?: string;
  /** The case's root entity (its key) when the run was created: named in the approval request. */
  readonly caseRoot?: string;
  readonly anomaly: Anomaly;
  readonly createdAt: number;
  readonly dryRun: boolean;
  state: 'running' | 'waiting' | 'done' | 'aborted';
  next: number;
  inFlight?: number;
  gate?: PendingGate;
  results: StepResult[];
}

/** Durable storage of runs. */
export interface RunStore {
  save(run: PlaybookRun): Promise<void>;
  /** Every run not yet done or aborted. */
  unfinished(): Promise<PlaybookRun[]>;
  get(id: string): Promise<PlaybookRun | undefined>;
  /** Forgets finished runs last changed before `before` (epoch ms); returns how many. */
  prune?(before: number): Promise<number>;
}

/** One JSON file per run under `<state>/runs/`, replaced atomically (write + rename). */
export class FileRunStore implements RunStore {
  constructor(private readonly dir: string) {}

  async save(run: PlaybookRun): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.path(run.id), JSON.stringify(run));
  }

  async unfinished(): Promise<PlaybookRun[]> {
    const runs: PlaybookRun[] = [];
    for (const name of await listJsonFiles(this.dir)) {
      const run = (await readJsonFile(join(this.dir, name))) as PlaybookRun | undefined;
      if (run?.state === 'running' || run?.state === 'waiting') runs.push(run);
    }
    return runs.sort((a, b) => a.createdAt - b.createdAt);
  }

  async get(id: string): Promise<PlaybookRun | undefined> {
    return (await readJsonFile(this.path(id))) as PlaybookRun | undefined;
  }

  prune(before: number): Promise<number> {
    return pruneJsonFiles(this.dir, before, (run) => {
      const state = (run as Partial<PlaybookRun> | undefined)?.state;
      return state === 'done' || state === 'aborted';
    });
  }

  private path(id: string): string {
    return join(this.dir, `${createHash('sha256').update(id).digest('hex').slice(0, 32)}.json`);
  }
}

/** Runs kept in memory (tests, dry-run replays). */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, string>();

  save(run: PlaybookRun): Promise<void> {
    this.runs.set(run.id, JSON.stringify(run));
    return Promise.resolve();
  }

  unfinished(): Promise<PlaybookRun[]> {
    const all = [...this.runs.values()].map((s) => JSON.parse(s) as PlaybookRun);
    return Promise.resolve(all.filter((r) => r.state === 'running' || r.state === 'waiting').sort((a, b) => a.createdAt - b.createdAt));
  }

  get(id: string): Promise<PlaybookRun | undefined> {
    const s = this.runs.get(id);
    return Promise.resolve(s === undefined ? undefined : (JSON.parse(s) as PlaybookRun));
  }
}
