import { z } from 'zod';
import { ActionError } from '../../shared/errors.js';
import type { ActionDeps } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { slackChannel } from '../params.js';
import type { SlackIncidentThreads } from './incident-threads.js';

/**
 * The deps `slack.notify` reads beyond the common ones: the incident threads (client, store and
 * per-incident serialisation in one). Kept optional, like every client in {@link ActionDeps}, so an
 * engine without Slack fails the step with reason `client` instead of failing to start.
 */
export interface SlackNotifyDeps extends ActionDeps {
  readonly slackThreads?: SlackIncidentThreads;
}

/** Posts (or updates in place) the incident's Slack message; one thread per incident. */
export const notify = defineAction({
  id: 'slack.notify',
  provider: 'slack',
  summary: 'Post or update the incident message in a Slack channel (one thread per incident)',
  params: z
    .object({
      channel: slackChannel('#soc-alerts'),
      /** Extra text above the generated summary; may use templates. */
      text: z.string().max(3000).optional(),
      mention: z.array(z.string()).optional(),
    })
    .strict(),
  rbac: [],
  destructive: false,
  example: { channel: '#soc-alerts', text: 'Exfiltration suspected from {{ entity.pod }}' },
  target: (p) => ({ kind: 'SlackChannel', name: p.channel }),
  describe: (p) => `post the incident summary to ${p.channel}${p.text !== undefined ? ` with "${p.text}"` : ''}, threaded per incident`,
  async execute(p, ctx) {
    const deps: SlackNotifyDeps = ctx.deps;
    const threads = deps.slackThreads;
    if (threads === undefined) {
      throw new ActionError('client', 'slack.notify needs the Slack client and the incident thread store; configure Slack to run it live');
    }
    if (ctx.signal.aborted) throw new ActionError('timeout', 'slack.notify was cancelled before it ran');
    const sent = await threads.notify({
      // One thread per case: the incidents of a case share it.
      incidentId: ctx.caseId ?? ctx.incidentId,
      channel: p.channel,
      anomaly: ctx.anomaly,
      idempotencyKey: ctx.idempotencyKey,
      ...(p.text !== undefined ? { text: p.text } : {}),
      ...(p.mention !== undefined ? { mention: p.mention } : {}),
    });
    const summary =
      sent.outcome === 'posted' ? `posted the incident message to ${p.channel} (${sent.channel} ${sent.ts})`
        : sent.outcome === 'updated' ? `updated the incident message in ${p.channel} and replied in its thread`
          : `the incident message in ${p.channel} already carries this step`;
    return {
      outcome: sent.outcome === 'already-done' ? 'already-done' : 'succeeded',
      summary,
      details: { channel: sent.channel, ts: sent.ts, ...(sent.replyTs !== undefined ? { replyTs: sent.replyTs } : {}), mode: sent.outcome },
    };
  },
});
