import type { ApprovalDecision as GateDecision, ApprovalGate, ApprovalRequest as GateRequest } from '../playbook/approval-gate.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ApprovalService } from './approval-service.js';
import type { ApprovalDecision, ApprovalSubject, PendingApproval } from './approval-types.js';

export type { GateDecision, GateRequest };

/** What {@link SlackApprovalGate} needs. */
export interface SlackApprovalGateOptions {
  readonly service: ApprovalService;
  /** Hands a decision to the run parked on the approval (the executor's `decide`). */
  readonly deliver: (runId: string, approvalId: string, decision: GateDecision) => Promise<void>;
  /**
   * Reads the gated actions as they would run now (the targets' current UID and resourceVersion).
   * When given, an approval is handed on only if it still binds them; otherwise it is void.
   */
  readonly currentSubjects?: (approval: PendingApproval) => Promise<readonly ApprovalSubject[]>;
  readonly logger: Logger;
}

/**
 * The approval service in the shape of the playbook executor's approval gate (asked with the
 * gated steps, answering later through `deliver`). Structurally typed so it depends on nothing in
 * src/playbook. One approval per run and step: asking again after a restart finds the same one.
 */
export class SlackApprovalGate implements ApprovalGate {
  private readonly following = new Set<string>();

  constructor(private readonly options: SlackApprovalGateOptions) {}

  /** Posts the request and starts following it; resolves with its id and deadline. */
  async request(request: GateRequest): Promise<{ readonly approvalId: string; readonly deadline: number }> {
    const record = await this.options.service.requestApproval({
      idempotencyKey: `${request.runId}/${request.step}`,
      runId: request.runId,
      incidentId: request.incidentId,
      ...(request.caseId !== undefined ? { caseId: request.caseId, ...(request.caseRoot !== undefined ? { caseRoot: request.caseRoot } : {}) } : {}),
      playbook: request.playbook,
      anomaly: request.anomaly,
      channel: request.channel,
      approvers: request.approvers,
      required: request.required,
      timeoutMs: request.timeoutMs,
      onTimeout: request.onTimeout,
      subjects: request.actions.map((a) => ({ action: a.action, params: a.params, target: a.target, description: a.description })),
    });
    this.follow(record);
    return { approvalId: record.id, deadline: record.expiresAt };
  }

  /**
   * After a restart: follows every approval of a run again. Pending ones are delivered when they
   * end; decided ones are delivered once more, since the engine may have stopped between the
   * decision and its delivery (the executor ignores a decision for a run no longer waiting).
   */
  resume(): void {
    for (const record of this.options.service.list()) this.follow(record);
  }

  private follow(record: PendingApproval): void {
    const runId = record.runId;
    if (runId === undefined || this.following.has(record.id)) return;
    this.following.add(record.id);
    void this.options.service
      .awaitDecision(record.id)
      .then(async (decided) => {
        const decision = await this.checked(record, decided);
        await this.options.deliver(runId, record.id, { approved: decision.proceed, by: decision.by, reason: decision.reason });
      })
      .catch((error: unknown) => {
        this.options.logger.error({ approvalId: record.id, runId, err: describeError(error) }, 'could not deliver an approval decision');
      })
      .finally(() => this.following.delete(record.id));
  }

  /** An approval that lets the actions run is re-checked against them as they are now. */
  private async checked(record: PendingApproval, decision: ApprovalDecision): Promise<ApprovalDecision> {
    const current = this.options.currentSubjects;
    if (!decision.proceed || current === undefined) return decision;
    const check = await this.options.service.confirmBinding(record.id, await current(record));
    return check.holds ? decision : check.decision;
  }
}
