import { Option } from 'commander';
import { stringify } from 'yaml';
import { terminalText } from '../shared/terminal-text.js';

/** How a command prints what it lists or shows. */
export type OutputFormat = 'text' | 'json' | 'yaml';

/** `-o, --output text|json|yaml`, the same on every command that lists or shows something. */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text');
}

/**
 * Characters JSON and YAML leave as they are that still drive a terminal: DEL, the C1 controls and
 * the bidirectional marks and overrides ("Trojan Source"); written as `\uXXXX`, which both formats
 * read back as the same character.
 */
const STILL_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

function escapeRest(text: string): string {
  return text.replace(STILL_UNSAFE, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/**
 * `value` as JSON or YAML, or `text()` for people. Values a client or a backend wrote (an entity
 * name, a pod name) reach the terminal only escaped: JSON and YAML escape the C0 controls
 * themselves, and every other character that could move or reorder the line is escaped here.
 */
export function renderOutput(format: OutputFormat, value: unknown, text: () => string): string {
  if (format === 'json') return `${escapeRest(JSON.stringify(value, null, 2))}\n`;
  // Double-quoted scalars so every escape below is read back as the character it stands for.
  if (format === 'yaml') return escapeRest(stringify(value, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 }));
  return text();
}

/**
 * A table for people: a header, then one row per item, columns padded to the widest cell. Every
 * cell goes through `terminalText` and is cut at `maxCell` characters.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], maxCell = 80): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => terminalText(cell, maxCell)));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

/** `key: value` lines for one item, every value escaped. */
export function formatFields(fields: readonly (readonly [string, string | undefined])[], maxValue = 1024): string {
  return fields.filter((f): f is readonly [string, string] => f[1] !== undefined).map(([key, value]) => `${key}: ${terminalText(value, maxValue)}`).join('\n') + '\n';
}
