import { terminalText } from '../shared/terminal-text.js';

/** How long one value may be in Markdown unless the caller says otherwise, in characters. */
export const DEFAULT_MARKDOWN_TEXT_LENGTH = 256;

/**
 * A value someone else wrote (an entity named after a model or a pod, an evidence detail, an
 * action's description quoting them), made inert for Markdown: shown as a code span.
 *
 * Inside a code span CommonMark and GFM recognise nothing: no link or image (`[x](http://evil)`,
 * `![x](...)`), no raw HTML (`<img onerror=...>`, `<script>`), no emphasis, no autolink (bare
 * `http://`, `www.`, e-mail addresses), and GitHub's mention and issue-reference filters skip code.
 * What is left to handle:
 * - control characters and line breaks, which would end the span or the table row: written as
 *   visible `\xNN` by {@link terminalText}, which also bounds the length (backslashes double);
 * - backticks, which could close the span: the fence is one backtick longer than the longest run
 *   of backticks in the value, padded with a space when the value starts or ends with one;
 * - pipes, which split a GFM table row even inside a code span: `inTable` escapes them as `\|`,
 *   which GFM turns back into a `|` inside the span.
 */
export function markdownCode(value: string, options: { readonly maxLength?: number; readonly inTable?: boolean } = {}): string {
  let text = terminalText(value, options.maxLength ?? DEFAULT_MARKDOWN_TEXT_LENGTH);
  if (text.length === 0) return '""';
  if (options.inTable === true) text = text.replaceAll('|', '\\|');
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  // CommonMark strips one space from each end when both ends have one: pad so none of the value's is lost.
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
