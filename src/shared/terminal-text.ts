/** How long one value may be on a terminal unless the caller says otherwise, in characters. */
export const DEFAULT_TERMINAL_TEXT_LENGTH = 512;

/**
 * Characters that change what a terminal shows rather than being shown: C0 controls (newline,
 * carriage return, ESC that starts ANSI and OSC sequences, BEL that ends OSC 8 hyperlinks), DEL,
 * C1 controls (0x9B is a one-byte CSI, 0x85 a next-line), the bidirectional marks, embeddings,
 * overrides and isolates that reorder a line ("Trojan Source"), and the Unicode line and paragraph
 * separators. Backslash is escaped too, so `\x1b` in the output always means an escaped ESC and
 * never a client who typed those four characters.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's whole job
const UNSAFE = /^(?:[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]|[\ud800-\udfff])$/u;

/** `\x1b`, `\u{202e}`, `\\`; a lone surrogate (never a pair: those iterate as one character) too. */
function escapeOne(char: string): string {
  if (char === '\\') return '\\\\';
  const code = char.codePointAt(0) ?? 0;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * Makes a value safe to print on one terminal line: every character that could move the cursor,
 * start an escape sequence, reorder the line or break it is written as a visible `\xNN` or
 * `\u{...}`, and the result is cut at `maxLength` characters with a note of what was left out.
 *
 * Use it for every value the CLI prints that a client, a log line, a file or a backend could have
 * written: an access log's path or user agent can otherwise forge whole report lines or rewrite the
 * operator's screen.
 */
export function terminalText(value: string, maxLength: number = DEFAULT_TERMINAL_TEXT_LENGTH): string {
  let out = '';
  let consumed = 0;
  // One code point at a time, stopping at the bound: a megabyte of hostile text costs `maxLength`.
  for (const char of value) {
    const piece = UNSAFE.test(char) ? escapeOne(char) : char;
    if (out.length + piece.length > maxLength) {
      return `${out}...(${(value.length - consumed).toLocaleString('en-US')} more characters)`;
    }
    out += piece;
    consumed += char.length;
  }
  return out;
}

/** Escapes each line of an engine-written multi-line text, keeping its own line breaks. */
export function terminalLines(text: string, maxLength: number = DEFAULT_TERMINAL_TEXT_LENGTH): string {
  return text.split('\n').map((line) => terminalText(line, maxLength)).join('\n');
}
