import {
  escapeMrkdwn, FIELD_TEXT_MAX, mention, mrkdwn, plain, SECTION_TEXT_MAX, slackDate, type SlackBlock, type SlackMessage,
} from '../actions/slack/block-kit.js';
import { formatDuration } from '../shared/duration.js';
import type { ApprovalDecision, ApprovalRecord, ApprovalSubject, BoundTarget, RejectionReason } from './approval-types.js';
import { APPROVE_ACTION_ID, buttonValue, DENY_ACTION_ID } from './interaction-payload.js';

/** `Pod ml-prod/inference-x`: how a target reads in messages and records. */
export function formatTarget(target: BoundTarget): string {
  return `${target.kind} ${target.namespace !== undefined ? `${target.namespace}/` : ''}${target.name}`;
}

/** `kubernetes.quarantine-pod on Pod ml-prod/x`: one gated subject in a line. */
export function formatSubject(subject: ApprovalSubject): string {
  return `${subject.action} on ${formatTarget(subject.target)}`;
}

/**
 * The approval request, with its buttons. It shows exactly what will run: each action, its target
 * with the UID and resourceVersion it is bound to, and its parameters in full, because the binding
 * token covers all of them and an approver must be able to see everything they sign off.
 */
export function renderApprovalRequest(record: ApprovalRecord, token: string): SlackMessage {
  const blocks: SlackBlock[] = [
    { type: 'section', text: mrkdwn(`:lock: *Approval needed* — playbook \`${escapeMrkdwn(record.playbook)}\` wants to run${caseClause(record)}:`) },
    ...record.subjects.map((s, i) => subjectBlock(s, i, record.subjects.length)),
    { type: 'section', fields: policyFields(record) },
    {
      type: 'actions',
      block_id: `meshwarden.approval.${record.id}`,
      elements: [
        {
          type: 'button', action_id: APPROVE_ACTION_ID, style: 'primary', text: plain('Approve'), value: buttonValue(record.id, token),
          confirm: {
            title: plain('Approve these actions?'),
            text: mrkdwn(escapeMrkdwn(record.subjects.map(formatSubject).join('; ')), 300),
            confirm: plain('Approve'),
            deny: plain('Cancel'),
          },
        },
        { type: 'button', action_id: DENY_ACTION_ID, style: 'danger', text: plain('Deny'), value: buttonValue(record.id, token) },
      ],
    },
    { type: 'context', elements: [mrkdwn(approvalContext(record))] },
  ];
  return { text: `Approval needed: ${escapeMrkdwn(record.subjects.map(formatSubject).join('; '))}`, blocks };
}

/** The request once decided: the same content, the buttons replaced by the outcome. */
export function renderApprovalClosed(record: ApprovalRecord, decision: ApprovalDecision): SlackMessage {
  const blocks: SlackBlock[] = [
    { type: 'section', text: mrkdwn(`:lock: *Approval ${decisionWord(decision)}* — playbook \`${escapeMrkdwn(record.playbook)}\`:`) },
    ...record.subjects.map((s, i) => subjectBlock(s, i, record.subjects.length)),
    { type: 'section', text: mrkdwn(decisionLine(decision)) },
    { type: 'context', elements: [mrkdwn(approvalContext(record))] },
  ];
  return { text: `Approval ${decisionWord(decision)}: ${escapeMrkdwn(record.subjects.map(formatSubject).join('; '))}`, blocks };
}

/** The thread reply announcing a decision. */
export function renderDecisionReply(decision: ApprovalDecision): SlackMessage {
  const line = decisionLine(decision);
  return { text: line, blocks: [{ type: 'section', text: mrkdwn(line) }] };
}

/** The thread reply for one approval that does not yet reach the quorum. */
export function renderVoteReply(user: string, approvals: number, required: number): SlackMessage {
  const line = `:white_check_mark: ${mention(user)} approved (${approvals} of ${required} needed)`;
  return { text: line, blocks: [{ type: 'section', text: mrkdwn(line) }] };
}

/** The thread reply for a click that was not counted. */
export function renderRejectionReply(user: string | undefined, reason: RejectionReason, detail: string): SlackMessage {
  const line = `:no_entry: Ignored a click${user !== undefined ? ` by ${mention(user)}` : ''}: ${reason} (${escapeMrkdwn(detail)})`;
  return { text: line, blocks: [{ type: 'context', elements: [mrkdwn(line)] }] };
}

/** ` for case <id> (root <entity>)`: where in the case the request comes from; empty without a case. */
function caseClause(record: ApprovalRecord): string {
  if (record.caseId === undefined) return '';
  return ` for case \`${escapeMrkdwn(record.caseId)}\`${record.caseRoot !== undefined ? ` (root \`${escapeMrkdwn(record.caseRoot)}\`)` : ''}`;
}

/** `approval <id> · incident <id> · case <id> · root <entity>`. */
function approvalContext(record: ApprovalRecord): string {
  const kase = record.caseId !== undefined ? ` · case \`${escapeMrkdwn(record.caseId)}\`${record.caseRoot !== undefined ? ` · root \`${escapeMrkdwn(record.caseRoot)}\`` : ''}` : '';
  return `approval \`${record.id}\` · incident \`${escapeMrkdwn(record.incidentId)}\`${kase}`;
}

function decisionWord(decision: ApprovalDecision): string {
  switch (decision.outcome) {
    case 'approved': return 'granted';
    case 'denied': return 'denied';
    case 'timed-out': return decision.proceed ? 'timed out (approved by policy)' : 'timed out (denied)';
    case 'void': return 'void';
  }
}

function decisionLine(decision: ApprovalDecision): string {
  const icon = decision.proceed ? ':white_check_mark:' : decision.outcome === 'void' ? ':warning:' : ':x:';
  const by = decision.by.length > 0 ? ` by ${decision.by.map(mention).join(', ')}` : '';
  const verdict = decision.proceed ? 'the actions will run' : 'the actions will not run';
  return `${icon} *${decisionWord(decision)}*${by}: ${escapeMrkdwn(decision.reason)}; ${verdict}.`;
}

function subjectBlock(subject: ApprovalSubject, index: number, count: number): SlackBlock {
  const pin = [
    subject.target.uid !== undefined ? `UID \`${escapeMrkdwn(subject.target.uid)}\`` : undefined,
    subject.target.resourceVersion !== undefined ? `resourceVersion \`${escapeMrkdwn(subject.target.resourceVersion)}\`` : undefined,
  ].filter((part): part is string => part !== undefined);
  const head = `${count > 1 ? `*${index + 1}.* ` : ''}\`${escapeMrkdwn(subject.action)}\` on *${escapeMrkdwn(formatTarget(subject.target))}*` +
    (pin.length > 0 ? `\n${pin.join(' · ')}` : '') +
    (subject.description !== undefined ? `\n_${escapeMrkdwn(subject.description)}_` : '');
  const params = codeBlock(JSON.stringify(subject.params, null, 2));
  const room = SECTION_TEXT_MAX - head.length - 1;
  // Parameters too long for one block still must not be shown cut without saying so.
  const shown = params.length <= room ? params : `${params.slice(0, Math.max(0, room - 80))}\n…\`\`\`\n_parameters cut here; the full set is in the audit record_`;
  return { type: 'section', text: mrkdwn(`${head}\n${shown}`) };
}

function codeBlock(text: string): string {
  // A literal ``` inside the parameters would close the block early and let the rest render as markup.
  return `\`\`\`${escapeMrkdwn(text).replace(/```/g, '`\u200b`\u200b`')}\`\`\``;
}

function policyFields(record: ApprovalRecord): ReturnType<typeof mrkdwn>[] {
  const { approvers, required, onTimeout } = record.policy;
  const who = [...approvers.users, ...approvers.groups].map(mention).join(', ');
  return [
    mrkdwn(`*Approvers*\n${who}`, FIELD_TEXT_MAX),
    mrkdwn(`*Needed*\n${required} distinct approver${required === 1 ? '' : 's'}; any one may deny`, FIELD_TEXT_MAX),
    mrkdwn(`*Expires*\n${slackDate(record.expiresAt)} (${formatDuration(record.policy.timeoutMs)})`, FIELD_TEXT_MAX),
    mrkdwn(`*Without an answer*\n${onTimeout}`, FIELD_TEXT_MAX),
  ];
}
