import { createHmac } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { escapeMrkdwn, mrkdwn, plain, type ActionsBlock } from '../actions/slack/block-kit.js';
import { callSlack } from '../actions/slack/slack-call.js';
import { canonicalJson } from '../audit/canonical-json.js';
import { createSilence, type StoredSilence } from '../silences/silence.js';
import type { SilenceActor } from '../silences/silence-record.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Secret } from '../shared/secret.js';
import type { ApprovalService } from './approval-service.js';
import type { ButtonClick, InteractionResult } from './approval-types.js';
import { tokensEqual } from './binding-token.js';

/** The `action_id` of the "Silence 4h" button on an incident's thread message. */
export const SILENCE_ACTION_ID = 'meshwarden.incident.silence';
/** How long a silence from the button lasts. */
export const BUTTON_SILENCE_MS = 4 * 3_600_000;
/** Slack's limit on a button value. */
const MAX_VALUE_LENGTH = 2000;

/** Who may press "Silence 4h" (`slack.silencers`): users and user groups. */
export interface Silencers {
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

/** What a button silences: the incident's detectors on its entity. */
export interface SilenceTarget {
  readonly detectors: readonly string[];
  readonly entity: string;
  readonly incidentId: string;
}

const targetSchema = z.object({
  detectors: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/)).min(1).max(16),
  entity: z.string().min(1).max(600),
  incidentId: z.string().regex(/^[A-Za-z0-9:_.-]{1,128}$/),
}).strict();

/**
 * The button's value: the target as base64url JSON and an HMAC of it under the engine's approval
 * key, so a value edited to name another entity (or more detectors) does not verify.
 */
export function silenceButtonValue(secret: Secret, target: SilenceTarget): string {
  const body = Buffer.from(JSON.stringify({ detectors: target.detectors, entity: target.entity, incidentId: target.incidentId })).toString('base64url');
  return `${body}.${silenceToken(secret, target)}`;
}

function silenceToken(secret: Secret, target: SilenceTarget): string {
  const material = canonicalJson({ v: 1, silence: { detectors: [...target.detectors], entity: target.entity, incident: target.incidentId } });
  return createHmac('sha256', secret.reveal()).update(material).digest('base64url');
}

/** The target and token of a button value; undefined when it is not one. */
export function parseSilenceButtonValue(value: string): { readonly target: SilenceTarget; readonly token: string } | undefined {
  const dot = value.lastIndexOf('.');
  if (dot <= 0 || value.length > MAX_VALUE_LENGTH) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(value.slice(0, dot), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = targetSchema.safeParse(raw);
  return parsed.success ? { target: parsed.data, token: value.slice(dot + 1) } : undefined;
}

/** The button, with Slack's confirmation dialog; undefined when the target cannot be carried. */
export function silenceButtonBlock(secret: Secret, target: SilenceTarget): ActionsBlock | undefined {
  if (!targetSchema.safeParse(target).success) return undefined;
  const value = silenceButtonValue(secret, target);
  if (value.length > MAX_VALUE_LENGTH) return undefined;
  return {
    type: 'actions',
    block_id: `silence-${target.incidentId}`.slice(0, 255),
    elements: [{
      type: 'button', action_id: SILENCE_ACTION_ID, text: plain('Silence 4h'), value,
      confirm: {
        title: plain('Silence this incident for 4 hours?'),
        text: mrkdwn(`Playbook steps for ${target.detectors.map((d) => `*${escapeMrkdwn(d)}*`).join(', ')} on \`${escapeMrkdwn(target.entity)}\` are held back for 4 hours (recorded, not executed).`),
        confirm: plain('Silence'),
        deny: plain('Keep acting'),
      },
    }],
  };
}

/** The matchers of a button's silence: exactly its entity, exactly its detectors (anchored). */
export function silenceMatchersFor(target: SilenceTarget): string[] {
  const detectors = [...new Set(target.detectors)].sort();
  const detector = detectors.length === 1 ? `detector=${detectors[0] ?? ''}` : `detector=~${detectors.map(escapeRegex).join('|')}`;
  return [`entity=${target.entity}`, detector];
}

/**
 * Handles clicks on "Silence 4h": after the approval service's checks (signature, freshness,
 * replay), the button's token and the clicking user against `slack.silencers`, then `add` (the
 * engine stores the silence and records it in the ledger). A reply in the thread says who
 * silenced what until when.
 */
export class IncidentSilenceButtons {
  constructor(
    private readonly deps: {
      readonly approvals: ApprovalService;
      readonly slack: WebClient;
      readonly secret: Secret;
      readonly silencers: Silencers;
      /** Stores and records the silence; the actor is the clicking Slack user. */
      readonly add: (silence: StoredSilence, actor: SilenceActor) => Promise<void>;
      readonly logger: Logger;
    },
  ) {}

  /** Starts taking the clicks. */
  attach(): void {
    this.deps.approvals.setButtonHandler(SILENCE_ACTION_ID, (click) => this.handle(click));
  }

  async handle(click: ButtonClick): Promise<InteractionResult> {
    const { approvals } = this.deps;
    const parsed = parseSilenceButtonValue(click.value);
    if (parsed === undefined) return approvals.refuseClick(click, 'malformed', 'the button value is not a silence reference');
    if (!tokensEqual(parsed.token, silenceToken(this.deps.secret, parsed.target))) {
      return approvals.refuseClick(click, 'binding-mismatch', 'the silence button does not carry the token of its incident');
    }
    const { entity, incidentId } = parsed.target;
    const allowed = await approvals.isAllowListed(this.deps.silencers, click.user, { incidentId });
    if (allowed === 'unknown') return approvals.refuseClick(click, 'approver-check-failed', 'could not read the allow-listed user groups from Slack');
    if (!allowed) return approvals.refuseClick(click, 'not-an-approver', `the user is not on the silence allow-list (slack.silencers) for ${entity}`);
    let line: string;
    let detail: string;
    try {
      const silence = createSilence({
        matchers: silenceMatchersFor(parsed.target), startsAt: click.at, endsAt: click.at + BUTTON_SILENCE_MS,
        createdBy: `slack:${click.user}`, comment: `Silence 4h from Slack on incident ${incidentId}`,
      }, click.at);
      await this.deps.add(silence, { via: 'slack', user: click.user });
      detail = `silence ${silence.id} until ${new Date(silence.endsAt).toISOString()}`;
      line = `:mute: Silenced for 4h by <@${click.user}>: \`${escapeMrkdwn(silence.matchers.join(' '))}\` (silence ${silence.id}, until ${new Date(silence.endsAt).toISOString()})`;
    } catch (error) {
      detail = `silence failed: ${describeError(error)}`;
      line = `:warning: <@${click.user}> asked to silence \`${escapeMrkdwn(entity)}\`; it failed: ${escapeMrkdwn(describeError(error))}`;
    }
    const { channel, ts } = click;
    if (channel !== undefined && ts !== undefined) {
      await callSlack('chat.postMessage', () => this.deps.slack.chat.postMessage({ channel, thread_ts: ts, text: line, blocks: [{ type: 'section', text: mrkdwn(line) }] }))
        .catch((error: unknown) => { this.deps.logger.warn({ incidentId, err: describeError(error) }, 'could not say in the thread that the incident was silenced'); });
    }
    return { type: 'handled', actionId: SILENCE_ACTION_ID, user: click.user, detail };
  }
}

/** A detector name as a literal in a regex (names hold letters, digits, `.`, `_` and `-`). */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
