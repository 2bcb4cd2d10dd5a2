import type { BlockActionsPayload } from './interaction-payload.js';

/** Where an approval request was posted. */
export interface PostedMessage {
  readonly channel: string;
  readonly ts: string;
}

/**
 * Why a click did not come from the message the approval request was posted as, or undefined when
 * it did. A click must say where it came from: Slack always sends the message container (its
 * `message_ts` and `channel_id`) and the channel for a button on a message, so a payload that
 * leaves either out, or whose container and channel disagree, is refused rather than given the
 * benefit of the doubt: a missing field must never skip the check it feeds.
 */
export function requestMessageProblem(body: BlockActionsPayload, posted: PostedMessage | undefined): string | undefined {
  if (posted === undefined) return 'the approval request has not been posted yet';
  const container = body.container;
  if (container === undefined) return 'the click names no message container';
  if (container.type !== 'message') return `the click came from a ${JSON.stringify(container.type)} container, not a message`;
  if (container.message_ts === undefined) return 'the click names no message (container.message_ts)';
  const channels = [container.channel_id, body.channel?.id].filter((c): c is string => c !== undefined);
  if (channels.length === 0) return 'the click names no channel (container.channel_id, channel.id)';
  if (channels.some((c) => c !== channels[0])) return 'the click\'s container and channel name different channels';
  if (channels[0] !== posted.channel || container.message_ts !== posted.ts) return 'the click did not come from the approval request message';
  return undefined;
}
