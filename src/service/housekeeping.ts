import type { ActionDeps } from '../actions/action-context.js';
import type { ApprovalService } from '../approvals/approval-service.js';
import { sweepQuarantineBudgets, type QuarantineBudgetDeps } from '../coordination/quarantine-sweep.js';
import type { RunClaims } from '../coordination/run-claims.js';
import type { FileRunStore } from '../playbook/run-store.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** What the housekeeping timers work on. */
export interface HousekeepingDeps {
  /** What the quarantine sweeper works with; undefined when quarantines are not swept (dry-run, no cluster). */
  readonly quarantine: QuarantineBudgetDeps | undefined;
  readonly claims: RunClaims | undefined;
  readonly runStore: FileRunStore;
  readonly approvals: ApprovalService | undefined;
  readonly slackThreads: ActionDeps['slackThreads'];
  /** Finished runs, decided approvals and quiet threads older than this go. */
  readonly stateRetentionMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The service's periodic chores: expired quarantines released and lapsed claims deleted every
 * minute (live mode with a cluster), working state past its retention pruned every hour. Each
 * chore logs its failure and tries again next time: none stops the service.
 */
export class Housekeeping {
  private sweeper: NodeJS.Timeout | undefined;
  private pruner: NodeJS.Timeout | undefined;

  constructor(private readonly deps: HousekeepingDeps) {}

  start(): void {
    this.pruner = setInterval(() => { void this.pruneState(); }, 3_600_000);
    this.pruner.unref();
    if (this.deps.quarantine) {
      this.sweeper = setInterval(() => { void this.sweepQuarantines().then(() => this.sweepClaims()); }, 60_000);
      this.sweeper.unref();
    }
  }

  stop(): void {
    clearInterval(this.sweeper);
    clearInterval(this.pruner);
  }

  /**
   * Releases quarantines whose expiry passed (each recorded like any other action) and stops
   * counting pods that are no longer quarantined against the blast-radius budgets.
   */
  async sweepQuarantines(): Promise<void> {
    const deps = this.deps.quarantine;
    if (!deps) return;
    try {
      const outcome = await sweepQuarantineBudgets(deps);
      if (outcome && (outcome.forgotten.length > 0 || outcome.freedSlots > 0)) {
        this.deps.logger.info({ pods: outcome.forgotten, freedSlots: outcome.freedSlots }, 'pods no longer quarantined stop counting against the blast-radius budgets');
      }
    } catch (error) {
      this.deps.logger.warn({ err: describeError(error) }, 'could not sweep expired quarantines');
    }
  }

  /** Deletes lapsed claims so their Leases do not pile up. */
  async sweepClaims(): Promise<void> {
    try {
      const removed = await this.deps.claims?.sweep();
      if (removed) this.deps.logger.info({ removed }, 'deleted lapsed run claims');
    } catch (error) {
      this.deps.logger.warn({ err: describeError(error) }, 'could not sweep lapsed run claims');
    }
  }

  /**
   * Bounds the working state: finished runs, decided approvals and quiet incidents' threads older
   * than the retention go. The ledger and the audit topic keep the record.
   */
  async pruneState(now = this.deps.clock.now()): Promise<{ runs: number; approvals: number; threads: number }> {
    const before = now - this.deps.stateRetentionMs;
    const pruned = { runs: 0, approvals: 0, threads: 0 };
    try {
      pruned.runs = await this.deps.runStore.prune(before);
      pruned.approvals = (await this.deps.approvals?.prune(before)) ?? 0;
      pruned.threads = (await this.deps.slackThreads?.prune(before)) ?? 0;
      if (pruned.runs + pruned.approvals + pruned.threads > 0) this.deps.logger.info(pruned, 'pruned working state past its retention');
    } catch (error) {
      this.deps.logger.warn({ err: describeError(error) }, 'could not prune the working state');
    }
    return pruned;
  }
}
