/**
 * What an approval says in its Slack thread once its request is posted: each vote, the decision
 * (the request's buttons replaced with it) and refused clicks, once per approval, user and reason.
 * Every post runs in the background, off the caller's path: Slack wants an HTTP interaction
 * answered within 3 seconds, and a failed post does not change the decision.
 */
import type { SlackMessage } from '../actions/slack/block-kit.js';
import type { SlackIncidentThreads } from '../actions/slack/incident-threads.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { renderApprovalClosed, renderDecisionReply, renderRejectionReply } from './approval-message.js';
import type { ApprovalDecision, ApprovalRecord, RejectionReason } from './approval-types.js';

export class ApprovalThread {
  private readonly background = new Set<Promise<void>>();
  private readonly postedRejections = new Set<string>();

  constructor(private readonly options: { readonly threads: SlackIncidentThreads; readonly logger: Logger }) {}

  /** Replaces the request's buttons with the decision and says it in the thread (nothing before the request is posted). */
  showDecision(record: ApprovalRecord, decision: ApprovalDecision): void {
    const message = record.message;
    if (message === undefined) return;
    this.inBackground(`update approval ${record.id}`, () => this.options.threads.update(message.channel, message.ts, renderApprovalClosed(record, decision)));
    this.post(record, renderDecisionReply(decision));
  }

  /** Says why a click was refused; once per approval, user and reason, so a flood of replays is not a flood of replies. */
  showRejection(record: ApprovalRecord, user: string | undefined, reason: RejectionReason, detail: string): void {
    const once = `${record.id}|${user ?? '-'}|${reason}`;
    if (this.postedRejections.has(once)) return;
    this.postedRejections.add(once);
    this.post(record, renderRejectionReply(user, reason, detail));
  }

  /** Replies in the approval's thread (nothing before the request is posted). */
  post(record: ApprovalRecord, message: SlackMessage): void {
    const where = record.message;
    if (where === undefined) return;
    this.inBackground(`reply in approval thread ${record.id}`, async () => {
      await this.options.threads.reply({ channel: where.channel, ts: where.threadTs }, message);
    });
  }

  /** Waits for the posts started so far, and those they start. */
  async flush(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  private inBackground(what: string, task: () => Promise<void>): void {
    const run = task().catch((error: unknown) => {
      this.options.logger.warn({ err: describeError(error) }, `could not ${what}`);
    });
    this.background.add(run);
    void run.finally(() => this.background.delete(run));
  }
}
