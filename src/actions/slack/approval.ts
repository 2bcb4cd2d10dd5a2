import { z } from 'zod';
import type { ApprovalPolicy } from '../../approvals/approval-types.js';
import { durationTextSchema, parseDuration } from '../../shared/duration.js';
import { defineAction } from '../action-definition.js';
import { slackChannel } from '../params.js';

/**
 * Gates the following steps on a human decision in Slack: allow-listed approvers, N of them, and an
 * explicit outcome when nobody answers in time (deny unless the playbook says otherwise).
 *
 * It has no `execute`: rather than run it like the other actions, the engine asks the approval
 * service (src/approvals) with the steps it gates, and runs them only on a decision to proceed.
 */
export const approval = defineAction({
  id: 'slack.approval',
  provider: 'slack',
  summary: 'Ask allow-listed approvers in Slack before the next steps run',
  params: z
    .object({
      channel: slackChannel('#soc-approvals'),
      approvers: z
        .object({
          users: z.array(z.string().regex(/^[UW][A-Z0-9]+$/, 'must be a Slack user id such as "U0123ABCD"')).default([]),
          groups: z.array(z.string().regex(/^S[A-Z0-9]+$/, 'must be a Slack user group id such as "S0123ABCD"')).default([]),
        })
        .strict()
        .refine((a) => a.users.length + a.groups.length > 0, 'name at least one approver user or group'),
      /** Approvals needed (N of M). */
      required: z.number().int().min(1).default(1),
      timeout: durationTextSchema.default('15m'),
      onTimeout: z.enum(['deny', 'approve']).default('deny'),
    })
    .strict(),
  rbac: [],
  destructive: false,
  example: { channel: '#soc-approvals', approvers: { users: ['U0123ABCD'] }, timeout: '10m' },
  target: (p) => ({ kind: 'SlackChannel', name: p.channel }),
  describe: (p) =>
    `ask ${p.required} of ${p.approvers.users.length + p.approvers.groups.length} approver(s) in ${p.channel}; ` +
    `${p.onTimeout} after ${p.timeout} without an answer`,
});

/**
 * The approval policy a validated `slack.approval` step asks for, durations in milliseconds: what
 * the engine passes to the approval service together with the steps it gates.
 */
export function approvalPolicy(params: z.output<typeof approval.params>): ApprovalPolicy {
  return {
    channel: params.channel,
    approvers: { users: [...params.approvers.users], groups: [...params.approvers.groups] },
    required: params.required,
    // The schema already refused a duration that does not parse.
    timeoutMs: parseDuration(params.timeout) ?? 0,
    onTimeout: params.onTimeout,
  };
}
