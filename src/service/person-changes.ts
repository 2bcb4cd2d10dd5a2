import type { ActionResult } from '../actions/action-context.js';
import type { ReleaseTarget } from '../approvals/release-button.js';
import type { Ledger } from '../audit/ledger.js';
import { releaseOnRequest, type QuarantineBudgetDeps } from '../coordination/quarantine-sweep.js';
import type { SilenceCache } from '../silences/silence-cache.js';
import type { StoredSilence } from '../silences/silence.js';
import { silenceCreatedRecord, silenceExpiredRecord, type SilenceActor } from '../silences/silence-record.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { AuditTee } from './audit-tee.js';

/** What these operations work on; it exists only once the service started. */
export interface PersonChangeState {
  readonly ledger: Ledger;
  /** The ledger, mirrored to the audit topic. */
  readonly audit: AuditTee;
  readonly quarantine: QuarantineBudgetDeps;
  readonly silences: SilenceCache;
}

/**
 * The operations a person triggers through the console API or Slack: silences added, ended and
 * listed, a quarantine released, an operator's decision recorded. Each one refuses with
 * `service not started` until the service has started.
 */
export class PersonChanges {
  constructor(
    private readonly started: () => PersonChangeState | undefined,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Adds a silence a person asked for (the "Silence 4h" button, the console API): stored where
   * every replica reads it, recorded in the ledger with who asked through what, and in force on
   * this replica at once.
   */
  async addSilence(silence: StoredSilence, actor: SilenceActor): Promise<void> {
    const { silences } = this.running();
    await silences.add(silence);
    await this.recordPersonChange(silenceCreatedRecord(silence, actor));
  }

  /** Ends a silence now (the console API): like {@link addSilence}, stored, recorded, in force here at once. */
  async expireSilence(id: string, by: string, actor: SilenceActor): Promise<StoredSilence | undefined> {
    const { silences } = this.running();
    const at = this.clock.now();
    const expired = await silences.expire(id, at, by);
    if (expired === undefined) return undefined;
    await this.recordPersonChange(silenceExpiredRecord(expired, actor, at));
    return expired;
  }

  /**
   * Records a change a person made: in the local ledger before the answer (the change is made, so
   * its record must be durable even while Kafka is away), and on the audit topic as soon as the
   * outbox can publish it.
   */
  private async recordPersonChange(data: Record<string, unknown>): Promise<void> {
    const { audit, ledger } = this.running();
    audit.append('decision', data);
    await ledger.flush();
    audit.flush().catch((error: unknown) => { this.logger.warn({ err: describeError(error) }, 'a silence change is in the local ledger; the audit topic gets it once Kafka is back'); });
  }

  /** The silences as the store holds them now (the console API lists them). */
  async listSilences(): Promise<StoredSilence[]> {
    return this.running().silences.list();
  }

  /**
   * Releases a quarantine a person asked for (the "Release pod" button): the engine's
   * `kubernetes.release-pod`, the pod out of the budgets, a ledger record naming who asked.
   */
  async releaseQuarantine(target: ReleaseTarget, by: string): Promise<ActionResult> {
    return releaseOnRequest(this.running().quarantine, { ...target, by, via: 'slack-release' });
  }

  /** Whether the ledger is open, so {@link recordConsoleDecision} can record. */
  get recording(): boolean {
    return this.started() !== undefined;
  }

  /**
   * Records an operator's decision from the console API (who, through which token, what it did)
   * in the ledger and the audit topic, flushed at once (once the audit topic has taken it).
   */
  recordConsoleDecision(data: unknown): void {
    const audit = this.running().audit;
    audit.append('decision', data);
    audit.flush().catch((error: unknown) => { this.logger.error({ err: describeError(error) }, 'could not write a console decision to the ledger'); });
  }

  private running(): PersonChangeState {
    const started = this.started();
    if (!started) throw new Error('service not started');
    return started;
  }
}
