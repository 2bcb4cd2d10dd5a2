import { createHmac } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { ActionResult } from '../actions/action-context.js';
import { escapeMrkdwn, mrkdwn, plain, type ActionsBlock } from '../actions/slack/block-kit.js';
import { callSlack } from '../actions/slack/slack-call.js';
import { k8sName } from '../actions/params.js';
import { canonicalJson } from '../audit/canonical-json.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Secret } from '../shared/secret.js';
import type { ApprovalService } from './approval-service.js';
import type { ButtonClick, InteractionResult } from './approval-types.js';
import { tokensEqual } from './binding-token.js';

/** The `action_id` of the "Release pod" button under a quarantine's line in the incident thread. */
export const RELEASE_ACTION_ID = 'meshwarden.quarantine.release';

/** Who may release a quarantine from Slack (`slack.releasers`): users and user groups. */
export interface Releasers {
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

/** The quarantine a button releases. */
export interface ReleaseTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly incidentId: string;
}

/**
 * The button's value: `<namespace>/<pod>/<incident>.<token>`, the token an HMAC of the three under
 * the engine's approval key, so a value edited to name another pod does not verify.
 */
export function releaseButtonValue(secret: Secret, target: ReleaseTarget): string {
  return `${target.namespace}/${target.pod}/${target.incidentId}.${releaseToken(secret, target)}`;
}

function releaseToken(secret: Secret, target: ReleaseTarget): string {
  const material = canonicalJson({ v: 1, release: { namespace: target.namespace, pod: target.pod, incident: target.incidentId } });
  return createHmac('sha256', secret.reveal()).update(material).digest('base64url');
}

/** The target and token of a button value; undefined when it is not one. */
export function parseReleaseButtonValue(value: string): { readonly target: ReleaseTarget; readonly token: string } | undefined {
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const [namespace, pod, incidentId, ...rest] = value.slice(0, dot).split('/');
  if (rest.length > 0 || incidentId === undefined || incidentId === '' || !k8sName.safeParse(namespace).success || !k8sName.safeParse(pod).success) return undefined;
  return { target: { namespace: namespace ?? '', pod: pod ?? '', incidentId }, token: value.slice(dot + 1) };
}

/** The button, with Slack's confirmation dialog: a release lets the pod talk to the network again. */
export function releaseButtonBlock(secret: Secret, target: ReleaseTarget): ActionsBlock {
  return {
    type: 'actions',
    block_id: `release-${target.namespace}-${target.pod}`.slice(0, 255),
    elements: [{
      type: 'button', action_id: RELEASE_ACTION_ID, text: plain('Release pod'), value: releaseButtonValue(secret, target),
      confirm: {
        title: plain('Release the quarantine?'),
        text: mrkdwn(`Pod \`${escapeMrkdwn(`${target.namespace}/${target.pod}`)}\` gets its labels back and its deny-all NetworkPolicy is removed: it can reach the network and receive traffic again.`),
        confirm: plain('Release'),
        deny: plain('Keep it isolated'),
      },
    }],
  };
}

/**
 * Handles clicks on "Release pod": after the approval service's checks (signature, freshness,
 * replay), the button's token and the clicking user against `slack.releasers`, then `release`
 * (the engine's release: the action, budgets, ledger, thread). The button's message then says who
 * released the pod. Any replica can handle a click.
 */
export class QuarantineReleaseButtons {
  constructor(
    private readonly deps: {
      readonly approvals: ApprovalService;
      readonly slack: WebClient;
      readonly secret: Secret;
      readonly releasers: Releasers;
      readonly release: (target: ReleaseTarget, by: string) => Promise<ActionResult>;
      readonly logger: Logger;
    },
  ) {}

  /** Starts taking the clicks. */
  attach(): void {
    this.deps.approvals.setButtonHandler(RELEASE_ACTION_ID, (click) => this.handle(click));
  }

  async handle(click: ButtonClick): Promise<InteractionResult> {
    const { approvals } = this.deps;
    const parsed = parseReleaseButtonValue(click.value);
    if (parsed === undefined) return approvals.refuseClick(click, 'malformed', 'the button value is not a release reference');
    if (!tokensEqual(parsed.token, releaseToken(this.deps.secret, parsed.target))) {
      return approvals.refuseClick(click, 'binding-mismatch', 'the release button does not carry the token of its pod and incident');
    }
    const pod = `${parsed.target.namespace}/${parsed.target.pod}`;
    const allowed = await approvals.isAllowListed(this.deps.releasers, click.user, { pod });
    if (allowed === 'unknown') return approvals.refuseClick(click, 'approver-check-failed', 'could not read the allow-listed user groups from Slack');
    if (!allowed) return approvals.refuseClick(click, 'not-an-approver', `the user is not on the release allow-list (slack.releasers) for pod ${pod}`);
    let line: string;
    let detail: string;
    try {
      const result = await this.deps.release(parsed.target, click.user);
      detail = result.summary;
      line = `:unlock: Released by <@${click.user}>: ${escapeMrkdwn(result.summary)}`;
    } catch (error) {
      detail = `release failed: ${describeError(error)}`;
      line = `:warning: <@${click.user}> asked to release \`${escapeMrkdwn(pod)}\`; it failed: ${escapeMrkdwn(describeError(error))}`;
    }
    const { channel, ts } = click;
    if (channel !== undefined && ts !== undefined) {
      // The button gives way to what became of the click.
      await callSlack('chat.update', () => this.deps.slack.chat.update({ channel, ts, text: line, blocks: [{ type: 'section', text: mrkdwn(line) }] }))
        .catch((error: unknown) => { this.deps.logger.warn({ pod, err: describeError(error) }, 'could not update the release button\'s message'); });
    }
    return { type: 'handled', actionId: RELEASE_ACTION_ID, user: click.user, detail };
  }
}

/**
 * The wiring `serve` does when `slack.releasers` names anyone: the button the service puts under a
 * quarantine's line, and, once the service exists, the handler that releases through it.
 */
export function releaseButtons(deps: {
  readonly approvals: ApprovalService;
  readonly slack: WebClient;
  readonly secret: Secret;
  readonly releasers: Releasers;
  readonly logger: Logger;
}): { readonly button: (target: ReleaseTarget) => ActionsBlock; attach(service: { releaseQuarantine(target: ReleaseTarget, by: string): Promise<ActionResult> }): void } {
  return {
    button: (target) => releaseButtonBlock(deps.secret, target),
    attach: (service) => {
      new QuarantineReleaseButtons({ ...deps, release: (target, by) => service.releaseQuarantine(target, by) }).attach();
    },
  };
}
