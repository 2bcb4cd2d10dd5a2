import { stepIdempotencyKey, type ActionContext, type ActionDeps } from '../actions/action-context.js';
import type { ActionDefinition, ActionTarget } from '../actions/action-definition.js';
import { findAction as registryLookup } from '../actions/action-registry.js';
import type { ClusterRails } from '../coordination/cluster-rails.js';
import { claimKey, type ClaimResult, type RunClaims } from '../coordination/run-claims.js';
import { ActionError, describeError } from '../shared/errors.js';
import type { ApprovalDecision, ApprovalGate } from './approval-gate.js';
import { requestApproval } from './approval-request.js';
import type { PlaybookSpec, PlaybookStep } from './playbook-spec.js';
import { RunRecorder, type RunLedger } from './run-recorder.js';
import type { PlaybookRun, RunStore, StepResult } from './run-store.js';
import type { SafetyGuard } from './safety-guard.js';
import type { StepPolicy } from './step-policy.js';
import type { Silencer } from '../silences/silence-cache.js';
import { silenceGate } from './silence-gate.js';
import { dryRunSteps, type DryRunDeps } from './dry-run.js';
import { APPROVAL, coveredDescription, formatTarget, guardRequestOf, policyQuestion, prepareStep, type Prepared } from './step-preparation.js';

/** What the executor needs, passed in. */
export interface RunExecutorDeps {
  readonly playbooks: ReadonlyMap<string, PlaybookSpec>;
  readonly guard: SafetyGuard;
  readonly store: RunStore;
  readonly ledger: RunLedger;
  readonly actionDeps: ActionDeps;
  readonly approvals?: ApprovalGate;
  /** Defaults to the action registry; tests inject their own actions. */
  readonly findAction?: (id: string) => ActionDefinition | undefined;
  /** A live step that has not finished after this long fails with reason `timeout`. */
  readonly stepTimeoutMs?: number;
  /**
   * Told of every step result of a live run (the service posts it to the incident's Slack thread,
   * so a refusal is never silent). Failures here are logged, never fail the run.
   */
  readonly onStep?: (run: PlaybookRun, result: StepResult) => Promise<void>;
  /**
   * Reads a target's UID and resourceVersion when an approval is asked, so the approval binds the
   * exact object shown (see inspect-target.ts). Without it approvals bind kind, namespace and name.
   */
  readonly inspectTarget?: (target: ActionTarget) => Promise<{ readonly uid: string; readonly resourceVersion: string } | undefined>;
  /**
   * Cluster-wide claims (see coordination/run-claims.ts): a new live run acts only if it wins the
   * claim on its playbook and entity, held for the playbook's cooldown and at least `holdAtLeastMs`.
   * Without them the executor assumes it is the only one (the embedded mode, one replica).
   */
  readonly claims?: { readonly store: RunClaims; readonly holdAtLeastMs: number };
  /** The rate limits and blast-radius budgets counted across replicas (after the local guard). */
  readonly clusterRails?: ClusterRails;
  /** Asked after the local guard, before the cluster rails (see src/policy/policy-gate.ts); a no refuses the step. */
  readonly policy?: StepPolicy;
  /**
   * Silences: a matching step is not executed and is recorded as `silenced` (see silence-gate.ts).
   * Dry-run steps are checked at the anomaly's event time, live steps at the clock's time.
   */
  readonly silences?: Silencer;
}

/**
 * Executes playbook runs step by step. Dry-run runs are validated, checked against the safety
 * rails and described, synchronously. Live runs are persisted before and after every step, so a
 * crash resumes at the first step whose completion was not recorded, and that step runs again
 * with the same idempotency key (the action then reports `already-done` instead of acting twice).
 * An approval step parks the run until `decide` is called with the verified outcome.
 */
export class RunExecutor {
  private readonly lookup: (id: string) => ActionDefinition | undefined;
  /** Runs being advanced now: one advance per run at a time. */
  private readonly busy = new Set<string>();
  /** The playbooks new runs start with (replaced by a configuration reload). */
  private playbooks: ReadonlyMap<string, PlaybookSpec>;
  /** The playbook version each unfinished run started with: a reload does not change a run in flight. */
  private readonly pinned = new Map<string, PlaybookSpec>();
  private readonly recorder: RunRecorder;

  constructor(private readonly deps: RunExecutorDeps) {
    this.lookup = deps.findAction ?? registryLookup;
    this.playbooks = deps.playbooks;
    this.recorder = new RunRecorder({
      store: deps.store, ledger: deps.ledger, logger: deps.actionDeps.logger, ...(deps.onStep ? { onStep: deps.onStep } : {}),
      stepsOf: (run) => this.playbookOf(run)?.spec.steps ?? [],
      finished: (run) => this.pinned.delete(run.id),
    });
  }

  /**
   * Runs started from now on use these playbooks (a configuration reload). Runs already started
   * in this process finish with the version they started with.
   */
  usePlaybooks(playbooks: ReadonlyMap<string, PlaybookSpec>): void {
    this.playbooks = playbooks;
  }

  /** The version of its playbook a run runs with: the one it started with, else the current one. */
  private playbookOf(run: PlaybookRun): PlaybookSpec | undefined {
    return this.pinned.get(run.id) ?? this.playbooks.get(run.playbook);
  }

  private pin(run: PlaybookRun, playbook: PlaybookSpec | undefined): void {
    if (this.pinned.has(run.id)) return;
    const spec = playbook ?? this.playbooks.get(run.playbook);
    if (spec) this.pinned.set(run.id, spec);
  }

  /** True when dry runs must go through {@link dryRunAsked}: a policy gate is configured. */
  get asksPolicy(): boolean {
    return this.deps.policy !== undefined;
  }

  private dryRunDeps(): DryRunDeps {
    const { guard, policy, silences } = this.deps;
    return { guard, lookup: this.lookup, ...(policy ? { policy } : {}), ...(silences ? { silences } : {}) };
  }

  /** Describes what a run would do, booking it against the rails at the anomaly's event time. */
  dryRun(run: PlaybookRun, version?: PlaybookSpec): StepResult[] {
    if (this.deps.policy) throw new Error('a policy gate is configured: dry runs ask it, through dryRunAsked');
    const steps = dryRunSteps(run, version ?? this.playbooks.get(run.playbook), this.dryRunDeps());
    for (let next = steps.next(); ; next = steps.next(undefined)) if (next.done === true) return next.value;
  }

  /** {@link dryRun}, asking the policy gate about each step as a live run would (with event time). */
  async dryRunAsked(run: PlaybookRun, version?: PlaybookSpec): Promise<StepResult[]> {
    const steps = dryRunSteps(run, version ?? this.playbooks.get(run.playbook), this.dryRunDeps());
    for (let next = steps.next(); ; next = steps.next(await this.deps.policy?.ask(next.value))) if (next.done === true) return next.value;
  }

  /**
   * Persists a new live run and advances it as far as it can go. A run that already exists (the
   * same anomaly replayed after a restart) is never started again: an unfinished one is advanced
   * from where it stopped, a finished one is left as it is.
   * @param version the playbook as it was when the run was matched (it keeps it to the end).
   */
  async start(run: PlaybookRun, version?: PlaybookSpec): Promise<void> {
    this.pin(run, version);
    const existing = await this.deps.store.get(run.id);
    if (existing) {
      if (existing.state === 'running') {
        if (await this.claimBeforeResuming(existing)) await this.advance(existing);
      } else if (existing.state !== 'waiting') this.pinned.delete(run.id);
      return;
    }
    await this.deps.store.save(run);
    if (await this.claim(run)) await this.advance(run);
  }

  /**
   * Claims the run's playbook and entity for this run; false when it must not act: another run
   * holds the claim (it stands down, recorded once in the ledger) or the claim store gave no
   * answer (it fails closed, visibly, like any failed step).
   */
  private async claim(run: PlaybookRun): Promise<boolean> {
    const claims = this.deps.claims;
    if (!claims || run.dryRun) return true;
    const playbook = this.playbookOf(run);
    const key = claimKey(run.playbook, run.anomaly.entity.key);
    const now = this.deps.actionDeps.clock.now();
    let result: ClaimResult;
    try {
      result = await claims.store.claim(key, run.id, Math.max(playbook?.spec.cooldown ?? 0, claims.holdAtLeastMs));
    } catch (error) {
      const first = playbook?.spec.steps[0];
      const prepared = first ? prepareStep(first, run, this.playbookOf(run), this.lookup) : undefined;
      this.recorder.record(run, {
        index: 0, step: first?.name ?? first?.action ?? '-', action: first?.action ?? '-', target: prepared?.ok ? formatTarget(prepared.target) : '-', outcome: 'failed',
        description: `could not claim ${key}, so no replica can be sure it acts alone: ${describeError(error)}`, reason: 'server', at: now,
      });
      this.recorder.skipRest(run, 1, 'no claim on the entity', now);
      await this.recorder.finish(run, 'aborted');
      return false;
    }
    if (result.won) return true;
    // Another run acts on this entity: stand down quietly (its own thread reports what it does).
    const why = `run ${result.holder} acts on ${run.anomaly.entity.key} (${result.where}, held until ${new Date(result.until).toISOString()})`;
    for (const [index, step] of (playbook?.spec.steps ?? []).entries()) {
      run.results.push({ index, step: step.name ?? step.action, action: step.action, target: '-', outcome: 'skipped', description: `not run: ${why}`, at: now });
    }
    run.next = playbook?.spec.steps.length ?? 0;
    this.deps.ledger.append('decision', {
      runId: run.id, playbook: run.playbook, incidentId: run.incidentId, anomalyId: run.anomaly.id, event: 'claimed-elsewhere',
      key, holder: result.holder, until: new Date(result.until).toISOString(), where: result.where,
    });
    await this.recorder.finish(run, 'done');
    return false;
  }

  /** After a restart: advances every run that was running; parked runs keep waiting. */
  async resume(): Promise<PlaybookRun[]> {
    const runs = await this.deps.store.unfinished();
    for (const run of runs) if (run.state === 'running' && (await this.claimBeforeResuming(run))) await this.advance(run);
    return runs;
  }

  /**
   * A run saved but stopped (a crash) before it claimed its entity must claim it now, or a
   * restart would act without the cluster-wide claim. A run with results claimed before its first
   * step; claiming again as the same holder is a no-op, so only unstarted runs ask.
   */
  private async claimBeforeResuming(run: PlaybookRun): Promise<boolean> {
    return run.results.length > 0 || (await this.claim(run));
  }

  /** Applies a verified approval outcome to the run parked on it. */
  async decide(runId: string, approvalId: string, decision: ApprovalDecision): Promise<void> {
    const run = await this.deps.store.get(runId);
    if (run?.state !== 'waiting' || run.gate?.approvalId !== approvalId) return;
    const playbook = this.playbookOf(run);
    const gate = run.gate;
    const step = playbook?.spec.steps[gate.step];
    const name = step?.name ?? APPROVAL;
    const now = this.deps.actionDeps.clock.now();
    const result: StepResult = {
      index: gate.step, step: name, action: APPROVAL, target: '-', outcome: decision.approved ? 'approved' : 'denied',
      description: `${decision.reason}${decision.by.length > 0 ? ` (by ${decision.by.join(', ')})` : ''}`, at: now,
    };
    run.results.push(result);
    this.deps.ledger.append('decision', { runId, playbook: run.playbook, incidentId: run.incidentId, approvalId, ...result });
    delete run.gate;
    if (decision.approved) {
      run.state = 'running';
      await this.recorder.moveTo(run, gate.step + 1);
      await this.advance(run);
    } else {
      this.recorder.skipRest(run, gate.step + 1, `approval denied: ${decision.reason}`, now);
      await this.recorder.finish(run, 'aborted');
    }
  }

  private async advance(run: PlaybookRun): Promise<void> {
    this.pin(run, undefined);
    if (this.busy.has(run.id)) return;
    this.busy.add(run.id);
    try {
      await this.advanceUnlocked(run);
    } finally {
      this.busy.delete(run.id);
    }
  }

  private async advanceUnlocked(run: PlaybookRun): Promise<void> {
    const playbook = this.playbookOf(run);
    const now = (): number => this.deps.actionDeps.clock.now();
    if (!playbook) {
      this.recorder.record(run, { index: run.next, step: '-', action: '-', target: '-', outcome: 'failed', description: `playbook ${run.playbook} is no longer loaded`, at: now() });
      await this.recorder.finish(run, 'aborted');
      return;
    }
    const steps = playbook.spec.steps;
    while (run.next < steps.length) {
      const index = run.next;
      const step = steps[index];
      if (step === undefined) break;
      const name = step.name ?? step.action;
      const prepared = prepareStep(step, run, this.playbookOf(run), this.lookup);
      if (!prepared.ok && prepared.refused === true) {
        this.recorder.record(run, { index, step: name, action: step.action, target: '-', outcome: 'refused', description: prepared.problem, reason: 'refused', at: now() });
        if (await this.recorder.stopOrContinue(run, step, index, `step "${name}" was refused`, now())) return;
        continue;
      }
      if (!prepared.ok) {
        this.recorder.record(run, { index, step: name, action: step.action, target: '-', outcome: 'failed', description: prepared.problem, reason: 'client', at: now() });
        if (await this.recorder.stopOrContinue(run, step, index, `step "${name}" failed`, now())) return;
        continue;
      }
      const target = formatTarget(prepared.target);
      await this.deps.silences?.refresh();
      const silenced = silenceGate(this.deps.silences, run, { action: step.action, description: prepared.description }, now());
      if (silenced !== undefined) {
        this.recorder.record(run, { index, step: name, action: step.action, target, targetRef: prepared.target, outcome: 'silenced', description: silenced.description, at: now(), details: { silence: silenced.silence.id } });
        // A silenced approval is not a silent approval: what it gates does not run either.
        if (step.action === APPROVAL) {
          this.recorder.skipRest(run, index + 1, `its approval step "${name}" was silenced by ${silenced.silence.id}`, now());
          await this.recorder.finish(run, 'done');
          return;
        }
        await this.recorder.moveTo(run, index + 1);
        continue;
      }
      const request = guardRequestOf(prepared, run, playbook);
      const verdict = step.action === APPROVAL ? { allowed: true as const } : this.deps.guard.check(request, now());
      if (!verdict.allowed && verdict.coveredBy !== undefined) {
        this.recorder.record(run, { index, step: name, action: step.action, target, targetRef: prepared.target, outcome: 'covered', description: coveredDescription(verdict.coveredBy, target), at: now(), details: { coveredBy: verdict.coveredBy.run } });
        await this.recorder.moveTo(run, index + 1);
        continue;
      }
      const ruling = verdict.allowed ? await this.deps.policy?.ask(policyQuestion(run, playbook, index, name, prepared, request, now())) : undefined;
      const policy = ruling ? { policy: ruling.record } : {};
      const refusal = !verdict.allowed ? verdict.reason : ruling?.allowed === false ? ruling.reason : undefined;
      if (refusal !== undefined) {
        this.recorder.record(run, { index, step: name, action: step.action, target, targetRef: prepared.target, outcome: 'refused', description: refusal, reason: 'refused', at: now(), ...policy });
        if (await this.recorder.stopOrContinue(run, step, index, `step "${name}" was refused`, now())) return;
        continue;
      }
      if (step.action === APPROVAL) {
        await this.park(run, index, prepared, steps);
        return;
      }
      const rails = this.deps.clusterRails;
      if (rails && !run.dryRun) {
        let booked: Awaited<ReturnType<ClusterRails['book']>>;
        try {
          booked = await rails.book(request, `${run.id}/${index}`, playbook.spec.cooldown);
        } catch (error) {
          this.recorder.record(run, { index, step: name, action: step.action, target, targetRef: prepared.target, outcome: 'failed', description: `could not count this step against the limits across replicas, so it does not run: ${describeError(error)}`, reason: 'server', at: now() });
          if (await this.recorder.stopOrContinue(run, step, index, `step "${name}" failed`, now())) return;
          continue;
        }
        if (!booked.allowed) {
          this.recorder.record(run, { index, step: name, action: step.action, target, targetRef: prepared.target, outcome: 'refused', description: booked.reason, reason: 'refused', at: now() });
          if (await this.recorder.stopOrContinue(run, step, index, `step "${name}" was refused`, now())) return;
          continue;
        }
      }
      const execute = prepared.action.execute?.bind(prepared.action);
      if (execute === undefined) {
        this.recorder.record(run, { index, step: name, action: step.action, target, targetRef: prepared.target, outcome: 'refused', description: `${step.action} has no live implementation; it can only run in dry-run`, reason: 'refused', at: now() });
        if (await this.recorder.stopOrContinue(run, step, index, `step "${name}" was refused`, now())) return;
        continue;
      }
      run.inFlight = index;
      await this.deps.store.save(run);
      const started = now();
      const controller = new AbortController();
      const ctx: ActionContext = {
        deps: this.deps.actionDeps, idempotencyKey: stepIdempotencyKey(run.playbook, run.incidentId, index),
        playbook: run.playbook, incidentId: run.incidentId, ...(run.caseId !== undefined ? { caseId: run.caseId } : {}), anomaly: run.anomaly, signal: controller.signal,
      };
      try {
        const result = await withTimeout(execute(prepared.params, ctx), this.deps.stepTimeoutMs ?? 60_000, controller);
        this.deps.guard.record(request, now());
        if (rails) {
          await rails.released(request).catch((error: unknown) => {
            this.deps.actionDeps.logger.warn({ runId: run.id, step: name, err: describeError(error) }, 'could not free the released pod\'s budget slots; they lapse on their own');
          });
        }
        this.recorder.record(run, {
          index, step: name, action: step.action, target, targetRef: prepared.target, outcome: result.outcome, description: result.summary,
          at: now(), durationMs: now() - started, details: result.details, ...policy,
        });
        delete run.inFlight;
        await this.recorder.moveTo(run, index + 1);
      } catch (error) {
        const reason = error instanceof ActionError ? error.reason : 'server';
        this.recorder.record(run, { index, step: name, action: step.action, target, targetRef: prepared.target, outcome: 'failed', description: describeError(error), reason, at: now(), durationMs: now() - started, ...policy });
        delete run.inFlight;
        if (await this.recorder.stopOrContinue(run, step, index, `step "${name}" failed (${reason})`, now())) return;
      }
    }
    await this.recorder.finish(run, 'done');
  }

  /** Asks for approval of the steps up to the next approval, then parks the run. */
  private async park(run: PlaybookRun, index: number, prepared: Prepared & { ok: true }, steps: readonly PlaybookStep[]): Promise<void> {
    const now = this.deps.actionDeps.clock.now();
    const name = steps[index]?.name ?? APPROVAL;
    const approvals = this.deps.approvals;
    if (!approvals) {
      this.recorder.record(run, { index, step: name, action: APPROVAL, target: formatTarget(prepared.target), outcome: 'denied', description: 'no approval channel is configured; the gated steps do not run (deny by default)', at: now });
      this.recorder.skipRest(run, index + 1, 'approval unavailable', now);
      await this.recorder.finish(run, 'aborted');
      return;
    }
    const inspectTarget = this.deps.inspectTarget;
    const { approvalId, deadline, gated } = await requestApproval(run, index, prepared, steps, this.playbookOf(run), { approvals, lookup: this.lookup, ...(inspectTarget ? { inspectTarget } : {}) });
    run.state = 'waiting';
    run.gate = { step: index, approvalId, deadline };
    this.deps.ledger.append('decision', { runId: run.id, playbook: run.playbook, incidentId: run.incidentId, event: 'awaiting-approval', approvalId, deadline, actions: gated.map((g) => g.description) });
    await this.recorder.save(run);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, controller: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ActionError('timeout', `no answer within ${ms / 1000}s`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
