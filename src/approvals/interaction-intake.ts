/** Takes clicks in (HTTP, Socket Mode, forwarded by another replica) and routes each where it goes. */
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Secret } from '../shared/secret.js';
import type {
  ApprovalRecord, ButtonClick, InteractionRejection, InteractionResult, InteractionTransport, RejectionReason,
} from './approval-types.js';
import type { ClickChecks } from './click-checks.js';
import { openForwarded, sealForwarded } from './forwarded-envelope.js';
import { APPROVE_ACTION_ID, blockActionsSchema, DENY_ACTION_ID, parseButtonValue, payloadType, readFormPayload } from './interaction-payload.js';
import { verifySlackSignature, type HeaderBag } from './slack-signature.js';
import type { Verdict } from './vote-tally.js';

/** What the intake needs from the approval service it feeds. */
export interface InteractionIntakeOptions {
  /** The Slack app's signing secret; without it HTTP interactions are all refused. */
  readonly signingSecret: Secret | undefined;
  /** Seals clicks forwarded to the replica holding their approval, and opens those forwarded here. */
  readonly bindingSecret: Secret;
  /** Freshness window for signatures and forwarded seals. */
  readonly windowMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly checks: ClickChecks;
  /** The approval held here under `id`, if any. */
  readonly held: (id: string) => ApprovalRecord | undefined;
  /** Records, logs and (given the approval) answers in its thread a refused click. */
  readonly reject: (
    transport: InteractionTransport, reason: RejectionReason, detail: string,
    ids?: { user?: string; approvalId?: string }, record?: ApprovalRecord,
  ) => InteractionRejection;
  /** Counts the verdict of a click that passed every check. */
  readonly castVote: (approvalId: string, user: string, verdict: Verdict, transport: InteractionTransport, now: number) => Promise<InteractionResult>;
}

/**
 * Where clicks come in. Each is verified for its transport (the HTTP signature, the Socket Mode
 * connection, a forwarded seal), then gets the same {@link ClickChecks}; a click on another
 * meshwarden button goes to its handler, one on an approval held elsewhere to the forwarder, and
 * one on an approval held here to the vote count.
 */
export class InteractionIntake {
  private readonly buttons = new Map<string, (click: ButtonClick) => Promise<InteractionResult>>();
  private forwarder: ((sealed: string) => Promise<void>) | undefined;

  constructor(private readonly options: InteractionIntakeOptions) {}

  /** An HTTP interaction request: the signature over the raw body and its timestamp first. */
  async handleInteraction(headers: HeaderBag, rawBody: string | Uint8Array): Promise<InteractionResult> {
    const now = this.options.clock.now();
    const secret = this.options.signingSecret;
    if (secret === undefined) return this.options.reject('http', 'unsigned', 'no signing secret is configured, so HTTP interactions cannot be verified');
    const check = verifySlackSignature({ signingSecret: secret, headers, rawBody, nowMs: now, toleranceMs: this.options.windowMs });
    if (!check.ok) return this.options.reject('http', check.reason, check.detail);
    const payload = readFormPayload(rawBody);
    if (payload === undefined) return this.options.reject('http', 'malformed', 'the body has no JSON "payload" field');
    return this.handleVerified(payload, 'http');
  }

  /** The body of a Socket Mode `interactive` envelope: authentic by the connection it came over. */
  handleSocketModePayload(body: unknown): Promise<InteractionResult> {
    return this.handleVerified(body, 'socket-mode');
  }

  /** Where clicks for approvals held by another replica go, sealed (undefined: nowhere). */
  setForwarder(send: ((sealed: string) => Promise<void>) | undefined): void {
    this.forwarder = send;
  }

  /** A click another replica verified and sealed: the seal and its time first. */
  handleForwarded(sealed: string): Promise<InteractionResult> {
    const opened = openForwarded(sealed, this.options.bindingSecret, this.options.clock.now(), this.options.windowMs);
    if (!opened.ok) return Promise.resolve(this.options.reject('forwarded', 'bad-signature', opened.detail));
    return this.handleVerified(opened.payload, 'forwarded');
  }

  /** Hands clicks on another meshwarden button (`actionId`) to `handler` (undefined: no longer). */
  setButtonHandler(actionId: string, handler: ((click: ButtonClick) => Promise<InteractionResult>) | undefined): void {
    if (handler === undefined) this.buttons.delete(actionId);
    else this.buttons.set(actionId, handler);
  }

  private async handleVerified(payload: unknown, transport: InteractionTransport): Promise<InteractionResult> {
    const { checks, reject } = this.options;
    const now = this.options.clock.now();
    const type = payloadType(payload);
    if (type !== 'block_actions') return { type: 'ignored', detail: `interaction of type ${type ?? '(none)'} is not an approval` };
    const parsed = blockActionsSchema.safeParse(payload);
    if (!parsed.success) return reject(transport, 'malformed', 'block_actions payload lacks a user id or actions');
    const body = parsed.data;
    const action = body.actions.find((a) => this.buttons.has(a.action_id))
      ?? body.actions.find((a) => a.action_id === APPROVE_ACTION_ID || a.action_id === DENY_ACTION_ID);
    if (action === undefined) return { type: 'ignored', detail: 'no approval button in this interaction' };
    const user = body.user.id;

    const stale = checks.freshness(action, now);
    if (stale !== undefined) return reject(transport, stale.reason, stale.detail, { user });
    const handler = this.buttons.get(action.action_id);
    if (handler !== undefined) {
      const replayed = await checks.replay(body, action, now);
      if (replayed !== undefined) return reject(transport, replayed.reason, replayed.detail, { user });
      const channel = body.container?.channel_id ?? body.channel?.id;
      const ts = body.container?.message_ts;
      return handler({
        user, actionId: action.action_id, value: action.value ?? '', transport, at: now,
        ...(channel !== undefined ? { channel } : {}), ...(ts !== undefined ? { ts } : {}),
      });
    }
    const value = parseButtonValue(action.value);
    if (value === undefined) return reject(transport, 'malformed', 'the button value is not an approval reference', { user });
    const record = this.options.held(value.approvalId);
    if (record === undefined) {
      if (transport === 'forwarded') return { type: 'ignored', detail: `approval ${value.approvalId} is not held here` };
      if (this.forwarder !== undefined) {
        await this.forwarder(sealForwarded(payload, this.options.bindingSecret, now));
        this.options.logger.info({ approvalId: value.approvalId, user }, 'forwarded a click for an approval another replica holds');
        return { type: 'forwarded', approvalId: value.approvalId };
      }
      return reject(transport, 'unknown-approval', `no approval ${value.approvalId}`, { user });
    }
    const ids = { user, approvalId: record.id };

    const replayed = await checks.replay(body, action, now);
    if (replayed !== undefined) return reject(transport, replayed.reason, replayed.detail, ids, record);

    const problem = checks.binding(record, value.token) ?? checks.sourceMessage(body, record) ?? await checks.allowList(record, user);
    if (problem !== undefined) return reject(transport, problem.reason, problem.detail, ids, record);

    return this.options.castVote(record.id, user, action.action_id === DENY_ACTION_ID ? 'deny' : 'approve', transport, now);
  }
}
