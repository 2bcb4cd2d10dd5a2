import { describe, expect, it } from 'vitest';
import { terminalLines, terminalText } from '../../../src/shared/terminal-text.js';

describe('terminalText', () => {
  it('leaves ordinary text, including non-Latin letters and emoji, as it is', () => {
    expect(terminalText('ml-prod/inference -> storage.example.net 203.0.113.7 Zürich 東京 🚀')).toBe('ml-prod/inference -> storage.example.net 203.0.113.7 Zürich 東京 🚀');
  });

  it('writes C0 controls, DEL and C1 controls as \\xNN', () => {
    expect(terminalText('a\nb\rc\td\x1b[2Je\x07f\x7fg\u0085h\u009bi\0')).toBe('a\\x0ab\\x0dc\\x09d\\x1b[2Je\\x07f\\x7fg\\x85h\\x9bi\\x00');
  });

  it('writes bidi controls and line separators as \\u{...}', () => {
    expect(terminalText('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u2028\u2029')).toBe(
      '\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{202e}\\u{2066}\\u{2067}\\u{2068}\\u{2069}\\u{200e}\\u{200f}\\u{61c}\\u{2028}\\u{2029}',
    );
  });

  it('escapes a backslash, so a client cannot type what looks like an escaped character', () => {
    expect(terminalText('C:\\x1b')).toBe('C:\\\\x1b');
  });

  it('escapes a lone surrogate but keeps a pair', () => {
    expect(terminalText('a\ud800b\udc00c😀')).toBe('a\\u{d800}b\\u{dc00}c😀');
  });

  it('cuts at the bound without splitting an escape, and says how much was left out', () => {
    expect(terminalText('abcdef', 4)).toBe('abcd...(2 more characters)');
    expect(terminalText('ab\x1bcdef', 4)).toBe('ab...(5 more characters)');
    expect(terminalText('x'.repeat(1_000_000)).length).toBeLessThan(600);
  });

  it('keeps the line breaks of an engine-written text and escapes the rest', () => {
    expect(terminalLines('2 problems:\nfile.yaml:1:1 "\x1b]0;owned\x07"')).toBe('2 problems:\nfile.yaml:1:1 "\\x1b]0;owned\\x07"');
  });
});
