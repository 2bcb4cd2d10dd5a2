import { terminalText } from '../shared/terminal-text.js';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' };

/**
 * Escapes a value for HTML text and for a double- or single-quoted attribute: after it, no value
 * can open a tag, close an attribute or start a character reference of its own.
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * A value someone else wrote, for a person to read on the page: control characters, line breaks
 * and the bidirectional marks that would reorder what is shown ("Trojan Source") are written as
 * visible `\xNN` / `\u{...}` and the length is bounded (see {@link terminalText}), then it is
 * HTML-escaped. Attributes meant for tools (`data-*`) take {@link escapeHtml} of the exact value.
 */
export function htmlText(value: string, maxLength?: number): string {
  return escapeHtml(terminalText(value, maxLength));
}
