import type { ActionDeps } from '../actions/action-context.js';
import { describeError } from '../shared/errors.js';
import type { PlaybookStep } from './playbook-spec.js';
import { ledgerTypeOf, type PlaybookRun, type RunStore, type StepResult } from './run-store.js';

/** Where step results are recorded; `flush` makes them durable. */
export interface RunLedger {
  append(type: 'action' | 'refusal' | 'decision', data: unknown): unknown;
  flush(): Promise<void>;
}

/** What the recorder writes to and tells. */
export interface RunRecorderDeps {
  readonly store: RunStore;
  readonly ledger: RunLedger;
  readonly logger: ActionDeps['logger'];
  /** Told of every step result of a live run; failures are logged, never fail the run. */
  readonly onStep?: (run: PlaybookRun, result: StepResult) => Promise<void>;
  /** The steps of the playbook version the run runs with (empty when it is gone). */
  readonly stepsOf: (run: PlaybookRun) => readonly PlaybookStep[];
  /** Told when a run finished (done or aborted). */
  readonly finished: (run: PlaybookRun) => void;
}

/**
 * A run's progress, made durable: each step result goes to the run, the ledger and (live runs)
 * the incident's thread; a run moves on, skips the rest or finishes with the ledger flushed
 * before the run is saved, so a crash never leaves a saved run ahead of its ledger.
 */
export class RunRecorder {
  constructor(private readonly deps: RunRecorderDeps) {}

  record(run: PlaybookRun, result: StepResult): void {
    run.results.push(result);
    const onStep = this.deps.onStep;
    if (onStep && !run.dryRun) {
      onStep(run, result).catch((error: unknown) => {
        this.deps.logger.warn({ runId: run.id, step: result.step, err: describeError(error) }, 'could not report a step');
      });
    }
    const { targetRef: _structured, ...recorded } = result;
    this.deps.ledger.append(ledgerTypeOf(result.outcome), {
      runId: run.id, playbook: run.playbook, incidentId: run.incidentId, anomalyId: run.anomaly.id, ...recorded,
    });
  }

  /** Saves the run as it is now, after the ledger is flushed: a saved run is never ahead of its ledger. */
  async save(run: PlaybookRun): Promise<void> {
    await this.deps.ledger.flush();
    await this.deps.store.save(run);
  }

  /** The run goes on at step `next`, saved after the ledger is flushed. */
  async moveTo(run: PlaybookRun, next: number): Promise<void> {
    run.next = next;
    await this.save(run);
  }

  /** After a failed or refused step: true when the run stopped (the step aborts on error), false to go on. */
  async stopOrContinue(run: PlaybookRun, step: PlaybookStep, index: number, why: string, now: number): Promise<boolean> {
    if (step.onError === 'abort') {
      this.skipRest(run, index + 1, why, now);
      await this.finish(run, 'aborted');
      return true;
    }
    await this.moveTo(run, index + 1);
    return false;
  }

  /** Records the steps from `from` on as skipped, for `why`. */
  skipRest(run: PlaybookRun, from: number, why: string, at: number): void {
    const steps = this.deps.stepsOf(run);
    for (let i = from; i < steps.length; i++) {
      const step = steps[i];
      if (step === undefined) continue;
      this.record(run, { index: i, step: step.name ?? step.action, action: step.action, target: '-', outcome: 'skipped', description: `not run: ${why}`, at });
    }
    run.next = steps.length;
  }

  async finish(run: PlaybookRun, state: 'done' | 'aborted'): Promise<void> {
    run.state = state;
    this.deps.finished(run);
    await this.save(run);
  }
}
