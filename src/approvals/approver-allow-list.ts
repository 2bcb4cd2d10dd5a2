/** Whether a Slack user is on an allow-list, by user id or through a user group Slack is asked about. */
import type { WebClient } from '@slack/web-api';
import { callSlack } from '../actions/slack/slack-call.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** Who may act: Slack user ids, and user groups whose members may. */
export interface AllowList {
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

/**
 * Whether `user` is in the allow-list, directly or through a user group ('unknown': Slack could not
 * say). A group Slack cannot list is logged with `context`.
 */
export async function isAllowListed(
  slack: WebClient, logger: Logger, allowed: AllowList, user: string, context: Record<string, unknown> = {},
): Promise<boolean | 'unknown'> {
  if (allowed.users.includes(user)) return true;
  let failed = false;
  for (const group of allowed.groups) {
    try {
      const members = await callSlack('usergroups.users.list', () => slack.usergroups.users.list({ usergroup: group }));
      if ((members.users ?? []).includes(user)) return true;
    } catch (error) {
      failed = true;
      logger.warn({ ...context, group, err: describeError(error) }, 'could not list the members of an allow-listed group');
    }
  }
  // Membership could not be ruled out: refuse, but say so instead of calling the user unlisted.
  return failed ? 'unknown' : false;
}
