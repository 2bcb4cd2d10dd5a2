import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { SlackIncidentThreads } from '../actions/slack/incident-threads.js';
import type { Clock } from '../shared/clock.js';
import { ActionError, ConfigError, describeError, MeshwardenError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Secret } from '../shared/secret.js';
import { ApprovalEvents } from './approval-events.js';
import { formatSubject, renderApprovalRequest, renderVoteReply } from './approval-message.js';
import { copySubject, requestProblems } from './approval-request-check.js';
import type { ApprovalStore } from './approval-store.js';
import { ApprovalThread } from './approval-thread.js';
import type {
  ApprovalDecision, ApprovalEvent, ApprovalOutcome, ApprovalRecord, ApprovalRequest, ApprovalSubject, ButtonClick, InteractionRejection,
  InteractionResult, InteractionTransport, PendingApproval, RejectionReason,
} from './approval-types.js';
import { isAllowListed, type AllowList } from './approver-allow-list.js';
import { bindingHolds, describeChange } from './binding-change.js';
import { bindingToken } from './binding-token.js';
import { ClickChecks } from './click-checks.js';
import { DecisionWaiters } from './decision-waiters.js';
import { InteractionIntake } from './interaction-intake.js';
import { unusableSecretProblems } from './usable-secret.js';
import { decisionFor, tallyVote, timeoutVerdict, type Verdict } from './vote-tally.js';
import { SLACK_SIGNATURE_TOLERANCE_MS, type HeaderBag } from './slack-signature.js';

/** What the approval service needs. */
export interface ApprovalServiceOptions {
  readonly slack: WebClient;
  readonly threads: SlackIncidentThreads;
  readonly store: ApprovalStore;
  /**
   * Keys the binding tokens in the buttons. Must stay the same across restarts, or pending
   * approvals can no longer be clicked; must never be the Slack signing secret.
   */
  readonly bindingSecret: Secret;
  /** The Slack app's signing secret; without it HTTP interactions are all refused (Socket Mode needs none). */
  readonly signingSecret?: Secret;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Freshness window for signatures and clicks; Slack's 5 minutes unless a test says otherwise. */
  readonly replayWindowMs?: number;
  /** Receives every event (request, rejection, approval, decision) for the audit ledger. */
  readonly onEvent?: (event: ApprovalEvent) => void;
}

/** Whether the approval still binds the actions the engine is about to run. */
export type BindingCheck =
  | { readonly holds: true; readonly decision?: ApprovalDecision }
  | { readonly holds: false; readonly decision: ApprovalDecision };

/** An approval-level misuse by the caller (unknown id, invalid request). */
export class ApprovalError extends MeshwardenError {}

/**
 * Human approval in Slack, bound to the exact actions and objects it was shown for.
 *
 * - {@link requestApproval} posts Approve/Deny buttons in the incident's thread (its case's, when it
 *   belongs to one) and persists the pending approval.
 * - {@link handleInteraction} (HTTP, signed) and {@link handleSocketModePayload} (Socket Mode) feed
 *   clicks in; both apply the same checks: freshness, replay, binding token, message, allow-list.
 * - {@link awaitDecision} resolves when the approval ends: N distinct allow-listed approvals, a deny
 *   by any allow-listed approver, or {@link expire} past the timeout (the `onTimeout` outcome).
 * - {@link confirmBinding} is called right before the gated actions run: if what is about to run
 *   differs from what was shown (target UID or resourceVersion changed), the approval is void.
 *
 * Every step returns a typed result, goes to `onEvent` for the ledger, and is posted to the thread.
 */
export class ApprovalService {
  private readonly records = new Map<string, ApprovalRecord>();
  private readonly waiters = new DecisionWaiters();
  /** Votes, decisions and refusals said in the request's thread. */
  private readonly thread: ApprovalThread;
  /** Requests on their way to Slack, by approval id. */
  private readonly posting = new Map<string, Promise<PendingApproval>>();
  /** Where clicks come in; it applies the click checks and hands what passes back to {@link castVote}. */
  private readonly intake: InteractionIntake;
  private queue: Promise<unknown> = Promise.resolve();
  /** The `onEvent` sink, and refusals logged and said in the thread. */
  private readonly events: ApprovalEvents;

  private constructor(private readonly options: ApprovalServiceOptions, records: readonly ApprovalRecord[], seen: [string, number][]) {
    this.thread = new ApprovalThread(options);
    this.events = new ApprovalEvents({ ...(options.onEvent ? { onEvent: options.onEvent } : {}), clock: options.clock, logger: options.logger, thread: this.thread });
    const windowMs = options.replayWindowMs ?? SLACK_SIGNATURE_TOLERANCE_MS;
    const checks = new ClickChecks({
      windowMs, bindingSecret: options.bindingSecret, slack: options.slack, logger: options.logger, store: options.store,
      exclusive: (task) => this.exclusive(task),
    }, seen);
    this.intake = new InteractionIntake({
      signingSecret: options.signingSecret, bindingSecret: options.bindingSecret, windowMs, clock: options.clock, logger: options.logger, checks,
      held: (id) => this.records.get(id),
      reject: (transport, reason, detail, ids, record) => this.events.reject(transport, reason, detail, ids, record),
      castVote: (approvalId, user, verdict, transport, now) => this.castVote(approvalId, user, verdict, transport, now),
    });
    for (const record of records) this.records.set(record.id, record);
  }

  /** Loads the approvals and the replay memory from the store. */
  static async open(options: ApprovalServiceOptions): Promise<ApprovalService> {
    const problems = unusableSecretProblems({ 'binding secret': options.bindingSecret, 'Slack signing secret': options.signingSecret });
    if (problems.length > 0) throw new ConfigError(problems);
    const [records, seen] = await Promise.all([options.store.loadApprovals(), options.store.loadSeen()]);
    return new ApprovalService(options, records, seen);
  }

  /** The approval id for a step's idempotency key: the same step always maps to the same approval. */
  static approvalId(idempotencyKey: string): string {
    return `ap-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
  }

  /**
   * Asks for approval: persists the pending approval, then posts the request with its buttons in
   * the incident's thread in the policy's channel. Idempotent on `request.idempotencyKey`: asking
   * again returns the same approval, posting only if the earlier attempt did not get that far.
   * Throws `ActionError` when Slack refuses the post; the approval stays pending and a retry posts it
   * (an approval decided while its request was on its way resolves decided, without a message).
   * The post runs outside the lock: a slow Slack holds up neither a console decision nor the
   * timeout, and a request that was decided while on its way shows the decision once posted.
   */
  requestApproval(request: ApprovalRequest): Promise<PendingApproval> {
    const problems = requestProblems(request);
    if (problems.length > 0) return Promise.reject(new ActionError('client', `approval request is invalid: ${problems.join('; ')}`));
    return this.exclusive(async (): Promise<{ readonly done: PendingApproval } | { readonly posting: Promise<PendingApproval> }> => {
      const id = ApprovalService.approvalId(request.idempotencyKey);
      let record = this.records.get(id);
      if (record === undefined) {
        const now = this.options.clock.now();
        record = {
          id,
          idempotencyKey: request.idempotencyKey,
          incidentId: request.incidentId,
          ...(request.caseId !== undefined ? { caseId: request.caseId, ...(request.caseRoot !== undefined ? { caseRoot: request.caseRoot } : {}) } : {}),
          playbook: request.playbook,
          ...(request.runId !== undefined ? { runId: request.runId } : {}),
          policy: {
            channel: request.channel,
            approvers: { users: [...request.approvers.users], groups: [...request.approvers.groups] },
            required: request.required,
            timeoutMs: request.timeoutMs,
            onTimeout: request.onTimeout,
          },
          subjects: request.subjects.map(copySubject),
          createdAt: now,
          expiresAt: now + request.timeoutMs,
          approvals: [],
        };
        // Written before posting: a crash in between leaves a pending approval a retry will post.
        await this.save(record);
        this.events.emit({ type: 'requested', approval: record });
        this.options.logger.info({ approvalId: id, incidentId: request.incidentId, playbook: request.playbook, subjects: record.subjects.map(formatSubject) }, 'approval requested');
      }
      if (record.message !== undefined || record.decision !== undefined) return { done: record };
      // Boxed: an async function returning the promise itself would hold the lock until it settles.
      return { posting: this.posting.get(id) ?? this.post(record, request) };
    }).then((outcome) => ('done' in outcome ? outcome.done : outcome.posting));
  }

  /** Posts a pending approval's request (one post per approval at a time), then records where. */
  private post(record: ApprovalRecord, request: ApprovalRequest): Promise<PendingApproval> {
    const run = (async (): Promise<PendingApproval> => {
      let parent: Awaited<ReturnType<SlackIncidentThreads['ensureThread']>>;
      let posted: Awaited<ReturnType<SlackIncidentThreads['reply']>>;
      try {
        // One thread per case, as slack.notify keeps it: the request goes where the case is being discussed.
        parent = await this.options.threads.ensureThread(request.caseId ?? request.incidentId, request.channel, request.anomaly);
        posted = await this.options.threads.reply(parent, renderApprovalRequest(record, this.token(record)));
      } catch (error) {
        // Decided meanwhile (from the console, or by the timeout): the decision stands without Slack.
        const decided = this.records.get(record.id);
        if (decided?.decision !== undefined) {
          this.options.logger.warn({ approvalId: record.id, err: describeError(error) }, 'could not post an approval request that was decided meanwhile');
          return decided;
        }
        throw error;
      }
      return this.exclusive(async () => {
        const current = this.records.get(record.id) ?? record;
        const withMessage: ApprovalRecord = { ...current, message: { channel: posted.channel, ts: posted.ts, threadTs: parent.ts } };
        await this.save(withMessage);
        if (current.decision !== undefined) this.thread.showDecision(withMessage, current.decision);
        return withMessage;
      });
    })();
    const settled = (): void => { this.posting.delete(record.id); };
    this.posting.set(record.id, run);
    run.then(settled, settled);
    return run;
  }

  /**
   * Handles one HTTP interaction request from Slack: verifies the signature over the raw body and
   * the timestamp window, then applies the checks every interaction gets. Never throws for a bad
   * request; the result says what was done and why.
   */
  handleInteraction(headers: HeaderBag, rawBody: string | Uint8Array): Promise<InteractionResult> {
    return this.intake.handleInteraction(headers, rawBody);
  }

  /**
   * Handles the body of a Socket Mode `interactive` envelope. Those are not HMAC-signed: they are
   * authentic because they arrive over the websocket opened with the app-level token. Freshness
   * (from `action_ts`), replay, binding and allow-list checks apply exactly as over HTTP.
   */
  handleSocketModePayload(body: unknown): Promise<InteractionResult> {
    return this.intake.handleSocketModePayload(body);
  }

  /**
   * With several replicas, each holds the approvals its own runs asked for, while Slack delivers a
   * click to any of them (any pod behind the Service, any Socket Mode connection). A replica that
   * verified a click for an approval it does not hold seals it and hands it to `send`, which
   * delivers it to every replica's {@link handleForwarded}; the holder applies it like its own.
   */
  setForwarder(send: ((sealed: string) => Promise<void>) | undefined): void {
    this.intake.setForwarder(send);
  }

  /**
   * A click another replica verified (over HTTP with the signing secret, or over its Socket Mode
   * connection) and sealed with the binding secret all replicas share. The seal and its time are
   * checked; then the same checks as any click apply. Not holding the approval either, this replica
   * ignores it quietly (the holder answers it).
   */
  handleForwarded(sealed: string): Promise<InteractionResult> {
    return this.intake.handleForwarded(sealed);
  }

  /**
   * Resolves with the decision once the approval ends (immediately when it already has). Rejects
   * with `ApprovalError` for an unknown id, and with `ActionError` (timeout) when `signal` aborts.
   */
  awaitDecision(id: string, signal?: AbortSignal): Promise<ApprovalDecision> {
    const record = this.records.get(id);
    if (record === undefined) return Promise.reject(new ApprovalError('approval-unknown', `no approval ${id}`));
    if (record.decision !== undefined) return Promise.resolve(record.decision);
    return this.waiters.wait(id, signal);
  }

  /**
   * Ends every pending approval whose timeout has passed at `now` with its `onTimeout` outcome
   * (deny unless the playbook said approve). Call it from the engine's tick with the injected clock.
   */
  expire(now: number = this.options.clock.now()): Promise<ApprovalDecision[]> {
    return this.exclusive(async () => {
      const decided: ApprovalDecision[] = [];
      for (const record of [...this.records.values()]) {
        if (record.decision === undefined && now >= record.expiresAt) decided.push(await this.decideTimeout(record, now));
      }
      return decided;
    });
  }

  /**
   * Calls {@link expire} every `intervalMs` on a real timer, for the service; returns the stop
   * function. Tests call `expire` with their own clock instead.
   */
  startExpiryTimer(intervalMs = 5_000): () => void {
    const timer = setInterval(() => {
      this.expire().catch((error: unknown) => {
        this.options.logger.error({ err: describeError(error) }, 'could not expire approvals');
      });
    }, intervalMs);
    timer.unref();
    return () => {
      clearInterval(timer);
    };
  }

  /**
   * Checks, right before the gated actions run, that they are still exactly what was approved:
   * pass the subjects as they are now (same actions and parameters, the target's current UID and
   * resourceVersion). If anything differs, the approval becomes void (pending or approved alike),
   * which is recorded and posted. An approval that already ended without `proceed` is left as is.
   */
  confirmBinding(id: string, current: readonly ApprovalSubject[]): Promise<BindingCheck> {
    return this.exclusive(async () => {
      const record = this.records.get(id);
      if (record === undefined) throw new ApprovalError('approval-unknown', `no approval ${id}`);
      const holds = bindingHolds(this.options.bindingSecret, record.id, record.subjects, current);
      if (holds) return record.decision === undefined ? { holds: true } : { holds: true, decision: record.decision };
      // Already ended without leave to run: nothing left to void.
      if (record.decision !== undefined && !record.decision.proceed) return { holds: false, decision: record.decision };
      const reason = `what is about to run is not what was approved: ${describeChange(record.subjects, current)}`;
      const decision = await this.decide(record, 'void', false, [], reason, this.options.clock.now());
      return { holds: false, decision };
    });
  }

  /**
   * Forgets approvals decided before `before` (epoch ms), in memory and in the store; pending ones
   * are always kept. Returns how many were forgotten.
   */
  prune(before: number): Promise<number> {
    return this.exclusive(async () => {
      let forgotten = 0;
      for (const [id, record] of this.records) {
        if (record.decision !== undefined && record.decision.at < before) {
          this.records.delete(id);
          forgotten++;
        }
      }
      await this.options.store.pruneDecided?.(before);
      return forgotten;
    });
  }

  /**
   * Hands clicks on another meshwarden button (`actionId`) to `handler`, after the checks every
   * click passes here: the request's signature, its freshness and replay memory. Any replica can
   * handle them (nothing is held), so they are never forwarded.
   */
  setButtonHandler(actionId: string, handler: ((click: ButtonClick) => Promise<InteractionResult>) | undefined): void {
    this.intake.setButtonHandler(actionId, handler);
  }

  /** Records and logs a refused click on another button, like a refused approval click. */
  refuseClick(click: ButtonClick, reason: RejectionReason, detail: string): InteractionRejection {
    return this.events.reject(click.transport, reason, detail, { user: click.user });
  }

  /** Whether `user` is in the allow-list, directly or through a user group ('unknown': Slack could not say). */
  isAllowListed(allowed: AllowList, user: string, context: Record<string, unknown> = {}): Promise<boolean | 'unknown'> {
    return isAllowListed(this.options.slack, this.options.logger, allowed, user, context);
  }

  /** One approval, pending or decided. */
  get(id: string): PendingApproval | undefined {
    return this.records.get(id);
  }

  /** Every approval known, pending or decided. */
  list(): PendingApproval[] {
    return [...this.records.values()];
  }

  /** Approvals still waiting for a decision. */
  pending(): PendingApproval[] {
    return [...this.records.values()].filter((r) => r.decision === undefined);
  }

  /** Waits for the Slack posts still in flight (thread replies, message updates). */
  async flush(): Promise<void> {
    await this.thread.flush();
  }

  /**
   * Counts one allow-listed approver's verdict (a Slack click once its checks passed, or a console
   * decision once the caller checked the allow-list and the binding): under the lock, the timeout
   * first, then {@link tallyVote}. Saved, recorded, posted in the thread like any click.
   */
  castVote(approvalId: string, user: string, verdict: Verdict, transport: InteractionTransport, now: number = this.options.clock.now()): Promise<InteractionResult> {
    const ids = { user, approvalId };
    return this.exclusive(async (): Promise<InteractionResult> => {
      // Re-read under the lock: another click or the timeout may have ended it meanwhile.
      const current = this.records.get(approvalId);
      if (current === undefined) return this.events.reject(transport, 'unknown-approval', `no approval ${approvalId}`, ids);
      if (current.decision === undefined && now >= current.expiresAt) await this.decideTimeout(current, now);
      const latest = this.records.get(approvalId) ?? current;
      const tally = tallyVote(latest, user, verdict, now);
      if (tally.kind === 'rejected') return this.events.reject(transport, tally.reason, tally.detail, ids, latest);
      if (tally.kind === 'decided') {
        const decision = await this.decide(tally.record, tally.outcome, tally.proceed, tally.by, tally.reason, now);
        return { type: 'decided', decision };
      }
      await this.save(tally.record);
      const event = { type: 'approved-by', approvalId, user, approvals: tally.approvals, required: tally.required, at: now } as const;
      this.events.emit(event);
      this.options.logger.info({ approvalId, user, approvals: tally.approvals, required: tally.required }, 'approval counted');
      this.thread.post(tally.record, renderVoteReply(user, tally.approvals, tally.required));
      return event;
    });
  }

  /** Records and logs a refused console decision, like a refused click (the reason says why). */
  refuse(transport: InteractionTransport, reason: RejectionReason, detail: string, ids: { user?: string; approvalId?: string }): InteractionRejection {
    return this.events.reject(transport, reason, detail, ids, ids.approvalId === undefined ? undefined : this.records.get(ids.approvalId));
  }

  private decideTimeout(record: ApprovalRecord, now: number): Promise<ApprovalDecision> {
    const { proceed, reason } = timeoutVerdict(record);
    return this.decide(record, 'timed-out', proceed, [], reason, now);
  }

  /** Ends an approval: persists, records, wakes the waiters, and updates the thread. Call under the lock. */
  private async decide(record: ApprovalRecord, outcome: ApprovalOutcome, proceed: boolean, by: readonly string[], reason: string, now: number): Promise<ApprovalDecision> {
    const decision = decisionFor(record, outcome, proceed, by, reason, now);
    const decided: ApprovalRecord = { ...record, decision };
    await this.save(decided);
    this.events.emit({ type: 'decided', decision });
    this.options.logger.info({ approvalId: record.id, incidentId: record.incidentId, outcome, proceed, by }, 'approval decided');
    this.waiters.wake(record.id, decision);
    // Says nothing before the request is posted: the post shows the decision when it lands.
    this.thread.showDecision(decided, decision);
    return decision;
  }

  private token(record: ApprovalRecord): string {
    return bindingToken(this.options.bindingSecret, record.id, record.subjects);
  }

  private async save(record: ApprovalRecord): Promise<void> {
    await this.options.store.saveApproval(record);
    this.records.set(record.id, record);
  }

  /** Runs state changes one at a time, so two clicks (or a click and the timeout) never interleave. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
