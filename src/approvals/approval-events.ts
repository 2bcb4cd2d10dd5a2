import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ApprovalThread } from './approval-thread.js';
import type { ApprovalEvent, ApprovalRecord, InteractionRejection, InteractionTransport, RejectionReason } from './approval-types.js';

/**
 * Where the approval service's events go: the `onEvent` sink (the ledger), which must not stop an
 * approval when it fails, and refused interactions, which are also logged and, for a known
 * approval, said in its thread.
 */
export class ApprovalEvents {
  constructor(private readonly deps: {
    readonly onEvent?: (event: ApprovalEvent) => void;
    readonly clock: Clock;
    readonly logger: Logger;
    readonly thread: ApprovalThread;
  }) {}

  emit(event: ApprovalEvent): void {
    try {
      this.deps.onEvent?.(event);
    } catch (error) {
      this.deps.logger.error({ err: describeError(error) }, 'approval event sink failed');
    }
  }

  /** Records, logs and (for a known approval) posts a refused click or console decision. */
  reject(
    transport: InteractionTransport, reason: RejectionReason, detail: string,
    ids: { user?: string; approvalId?: string } = {}, record?: ApprovalRecord,
  ): InteractionRejection {
    const rejection: InteractionRejection = {
      type: 'rejected', reason, detail, transport, at: this.deps.clock.now(),
      ...(ids.approvalId !== undefined ? { approvalId: ids.approvalId } : {}),
      ...(ids.user !== undefined ? { user: ids.user } : {}),
    };
    this.emit(rejection);
    // The detail never holds a secret, a signature or the body: safe to log as is.
    this.deps.logger.warn({ transport, reason, detail, approvalId: ids.approvalId, user: ids.user }, 'slack interaction rejected');
    if (record !== undefined) this.deps.thread.showRejection(record, ids.user, reason, detail);
    return rejection;
  }
}
