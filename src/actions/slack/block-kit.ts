/**
 * The few Block Kit shapes meshwarden posts. Declared here rather than imported from `@slack/types`
 * (a transitive dependency only); every shape is structurally a Block Kit `Block`, so the WebClient
 * accepts them as they are.
 */
export interface PlainText {
  readonly type: 'plain_text';
  readonly text: string;
  readonly emoji?: boolean;
}

/** Text in Slack's mrkdwn: build it with {@link escapeMrkdwn} around anything not written by us. */
export interface MrkdwnText {
  readonly type: 'mrkdwn';
  readonly text: string;
}

/** A button; `value` travels back to the engine in the interaction payload. */
export interface ButtonElement {
  readonly type: 'button';
  readonly action_id: string;
  readonly text: PlainText;
  readonly value: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: {
    readonly title: PlainText;
    readonly text: MrkdwnText;
    readonly confirm: PlainText;
    readonly deny: PlainText;
  };
}

export interface HeaderBlock {
  readonly type: 'header';
  readonly text: PlainText;
}

export interface SectionBlock {
  readonly type: 'section';
  readonly text?: MrkdwnText;
  readonly fields?: readonly MrkdwnText[];
}

export interface ContextBlock {
  readonly type: 'context';
  readonly elements: readonly MrkdwnText[];
}

export interface DividerBlock {
  readonly type: 'divider';
}

export interface ActionsBlock {
  readonly type: 'actions';
  readonly block_id: string;
  readonly elements: readonly ButtonElement[];
}

/** Every block meshwarden posts. */
export type SlackBlock = HeaderBlock | SectionBlock | ContextBlock | DividerBlock | ActionsBlock;

/** A message: the blocks and the plain fallback Slack shows in notifications. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/** Slack's limits on text objects, from the Block Kit reference. */
export const HEADER_MAX = 150;
export const SECTION_TEXT_MAX = 3000;
export const FIELD_TEXT_MAX = 2000;

/**
 * Escapes the three characters Slack's mrkdwn gives meaning to. Entity names, paths and principals
 * come from mesh traffic, i.e. from whoever sends requests; unescaped, a crafted name such as
 * `<!channel>` or `<https://evil|docs>` would ping the channel or plant a link in a SOC alert.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A mrkdwn text object, cut to the section limit. */
export function mrkdwn(text: string, max = SECTION_TEXT_MAX): MrkdwnText {
  return { type: 'mrkdwn', text: truncate(text, max) };
}

/** A plain-text object, cut to `max`. */
export function plain(text: string, max = HEADER_MAX): PlainText {
  return { type: 'plain_text', text: truncate(text, max), emoji: true };
}

/**
 * A time Slack renders in each reader's own time zone, with the ISO form as the fallback for
 * clients that cannot.
 */
export function slackDate(ms: number): string {
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

/**
 * A mention of a user (`U…`/`W…`), a user group (`S…`) or `here`/`channel`; anything else is shown
 * as escaped text, so a parameter cannot smuggle arbitrary markup.
 */
export function mention(who: string): string {
  if (/^[UW][A-Z0-9]+$/.test(who)) return `<@${who}>`;
  if (/^S[A-Z0-9]+$/.test(who)) return `<!subteam^${who}>`;
  if (who === 'here' || who === '@here') return '<!here>';
  if (who === 'channel' || who === '@channel') return '<!channel>';
  return escapeMrkdwn(who);
}
