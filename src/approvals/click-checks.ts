/** The checks a verified click must pass: freshness, replay, binding token, source message, allow-list. */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../shared/logger.js';
import type { Secret } from '../shared/secret.js';
import type { ApprovalStore } from './approval-store.js';
import type { ApprovalRecord, RejectionReason } from './approval-types.js';
import { isAllowListed } from './approver-allow-list.js';
import { bindingToken, tokensEqual } from './binding-token.js';
import type { BlockActionsPayload } from './interaction-payload.js';
import { ReplayGuard } from './replay-guard.js';
import { requestMessageProblem } from './request-message-check.js';

/** Why a click is refused: the rejection reason and a detail safe to log. */
export interface ClickProblem {
  readonly reason: RejectionReason;
  readonly detail: string;
}

/** One action of a `block_actions` payload. */
type ClickedAction = BlockActionsPayload['actions'][number];

/** What the checks need. */
export interface ClickCheckOptions {
  /** Freshness window: a click is admitted up to this long either side of now. */
  readonly windowMs: number;
  /** Keys the binding tokens in the buttons. */
  readonly bindingSecret: Secret;
  /** Asked for the members of allow-listed user groups. */
  readonly slack: WebClient;
  readonly logger: Logger;
  /** Persists the replay memory. */
  readonly store: Pick<ApprovalStore, 'saveSeen'>;
  /** Runs a task under the approval service's lock. */
  readonly exclusive: (task: () => Promise<void>) => Promise<void>;
}

/**
 * Each check returns why a click is refused, or undefined when it passes; the caller rejects it.
 * Every click gets freshness and replay; a click on an approval button also the binding token,
 * the message it came from and the approval's allow-list.
 */
export class ClickChecks {
  private readonly replayGuard: ReplayGuard;

  /** `seen`: the replay memory as the store kept it. */
  constructor(private readonly options: ClickCheckOptions, seen: [string, number][]) {
    // Clicks are admitted up to one window either side of now, so a key must outlive two windows.
    this.replayGuard = new ReplayGuard(2 * options.windowMs, seen);
  }

  /** The click was made within the window of now. */
  freshness(action: ClickedAction, now: number): ClickProblem | undefined {
    const clickedAt = Number(action.action_ts) * 1000;
    if (Math.abs(now - clickedAt) > this.options.windowMs) {
      return { reason: 'stale', detail: `clicked at ${new Date(clickedAt).toISOString()}, outside the ${this.options.windowMs / 1000}s window` };
    }
    return undefined;
  }

  /**
   * The click was not handled before. Remembers it (persisted, so a restart does not forget it).
   * Same user, same button, same click time: the same interaction, whichever way it arrived.
   */
  async replay(body: BlockActionsPayload, action: ClickedAction, now: number): Promise<ClickProblem | undefined> {
    const key = `${body.team?.id ?? '-'}|${body.user.id}|${action.action_id}|${action.block_id ?? '-'}|${action.action_ts}`;
    if (!this.replayGuard.admit(key, now)) return { reason: 'replayed', detail: 'this interaction was already handled' };
    await this.options.exclusive(() => this.options.store.saveSeen(this.replayGuard.entries()));
    return undefined;
  }

  /** The button carries the token of the approval's actions and targets. */
  binding(record: ApprovalRecord, token: string): ClickProblem | undefined {
    if (tokensEqual(token, bindingToken(this.options.bindingSecret, record.id, record.subjects))) return undefined;
    return { reason: 'binding-mismatch', detail: 'the button does not carry the token of this approval\'s actions and targets' };
  }

  /** The click came from the message the approval request was posted as. */
  sourceMessage(body: BlockActionsPayload, record: ApprovalRecord): ClickProblem | undefined {
    const wrongMessage = requestMessageProblem(body, record.message);
    return wrongMessage === undefined ? undefined : { reason: 'wrong-message', detail: wrongMessage };
  }

  /** The user is on the approval's allow-list (user groups are asked of Slack). */
  async allowList(record: ApprovalRecord, user: string): Promise<ClickProblem | undefined> {
    const allowed = await isAllowListed(this.options.slack, this.options.logger, record.policy.approvers, user, { approvalId: record.id });
    if (allowed === 'unknown') return { reason: 'approver-check-failed', detail: 'could not read the allow-listed user groups from Slack' };
    if (!allowed) return { reason: 'not-an-approver', detail: 'the user is not on the approver allow-list' };
    return undefined;
  }
}
