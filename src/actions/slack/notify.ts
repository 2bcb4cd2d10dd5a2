import { z } from 'zod';
import { defineAction } from '../action-definition.js';

/** Posts (or updates in place) the incident's Slack message; one thread per incident. */
export const notify = defineAction({
  id: 'slack.notify',
  provider: 'slack',
  summary: 'Post or update the incident message in a Slack channel (one thread per incident)',
  params: z
    .object({
      channel: z.string().regex(/^[#@]?[A-Za-z0-9_.-]+$/, 'must be a channel name like "#soc-alerts" or an id like "C0123456"'),
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
});
