import { MeshwardenError } from '../shared/errors.js';

/** The labels a silence matcher can name: what a step is about. */
export const SILENCE_LABELS = ['detector', 'entity', 'kind', 'namespace', 'workload', 'pod', 'principal', 'playbook', 'action'] as const;
export type SilenceLabel = (typeof SILENCE_LABELS)[number];

/** Alertmanager's four operators: equal, not equal, regex match, regex no-match. */
export type MatchOperator = '=' | '!=' | '=~' | '!~';

/** The longest regex a matcher may carry. */
export const MAX_PATTERN_LENGTH = 256;
/**
 * A value longer than this is never tested against a regex: neither `=~` nor `!~` holds for it,
 * so it silences nothing. Every label value the engine derives is far shorter (Kubernetes names
 * are at most 253 characters).
 */
export const MAX_MATCHED_VALUE_LENGTH = 512;
/** Repeating quantifiers a pattern may hold: each one multiplies the worst-case backtracking. */
const MAX_REPEATS = 3;

/** A matcher parsed and checked once: what a silence holds at run time. */
export interface Matcher {
  readonly label: SilenceLabel;
  readonly op: MatchOperator;
  readonly value: string;
  /** For `=~` and `!~`: the value anchored at both ends (`^(?:value)$`). */
  readonly regex?: RegExp;
}

/** A matcher that could not be parsed or is refused; the message names the matcher. */
export class MatcherError extends MeshwardenError {
  /** `problem` about `matcher`; with `matcher` undefined, `problem` is already the whole message. */
  constructor(readonly matcher: string | undefined, problem: string) {
    super('silence-matcher-invalid', matcher === undefined ? problem : `matcher ${JSON.stringify(matcher)}: ${problem}`);
  }
}

/**
 * Parses `label=value`, `label!=value`, `label=~regex` or `label!~regex`. A regex is anchored at
 * both ends, as Alertmanager does: `principal=~10\.0\..*` never matches `evil-10.0.1.2`. Regexes
 * pass {@link checkRegexSafety} first.
 */
export function parseMatcher(text: string): Matcher {
  const m = /^\s*([a-z]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s.exec(text);
  if (m === null) throw new MatcherError(text, `expected <label><op><value> with op one of =, !=, =~, !~ and label one of ${SILENCE_LABELS.join(', ')}`);
  const [, label = '', written = '=', raw = ''] = m;
  const op = written as MatchOperator;
  if (!isLabel(label)) throw new MatcherError(text, `unknown label "${label}"; use one of ${SILENCE_LABELS.join(', ')}`);
  const value = unquote(raw);
  if (op === '=' || op === '!=') {
    if (value.length > MAX_MATCHED_VALUE_LENGTH) throw new MatcherError(text, `the value is longer than ${MAX_MATCHED_VALUE_LENGTH} characters`);
    return { label, op, value };
  }
  const problem = checkRegexSafety(value);
  if (problem !== undefined) throw new MatcherError(text, problem);
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${value})$`, 'u');
  } catch (error) {
    throw new MatcherError(text, `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { label, op, value, regex };
}

/**
 * Parses every matcher of a silence and reports all problems at once. A silence must narrow
 * something: at least one matcher must not match the empty value (as Alertmanager requires), so
 * `namespace=~.*` alone cannot silence the whole engine.
 */
export function parseMatchers(texts: readonly string[]): Matcher[] {
  const problems: string[] = [];
  const matchers: Matcher[] = [];
  for (const text of texts) {
    try {
      matchers.push(parseMatcher(text));
    } catch (error) {
      if (!(error instanceof MatcherError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new MatcherError(undefined, problems.join('\n'));
  if (matchers.length === 0) throw new MatcherError(undefined, 'a silence needs at least one matcher');
  if (matchers.every((m) => matchValue(m, ''))) {
    throw new MatcherError(undefined, 'every matcher also matches an empty value, so the silence would match everything; add one that names something (e.g. detector=egress-spike)');
  }
  return matchers;
}

/** Whether the matcher holds for a label's value (an absent label is the empty string). */
export function matchValue(matcher: Matcher, value: string): boolean {
  switch (matcher.op) {
    case '=': return value === matcher.value;
    case '!=': return value !== matcher.value;
    case '=~': return value.length <= MAX_MATCHED_VALUE_LENGTH && (matcher.regex?.test(value) ?? false);
    // A value too long to test is not taken as "does not match": it silences nothing.
    case '!~': return value.length <= MAX_MATCHED_VALUE_LENGTH && !(matcher.regex?.test(value) ?? true);
  }
}

/** `label<op>value`, as written back in listings and the ledger. */
export function formatMatcher(matcher: Matcher): string {
  return `${matcher.label}${matcher.op}${matcher.value}`;
}

/**
 * Refuses the constructs that make a backtracking engine (JavaScript's) take exponential or high
 * polynomial time, since there is no linear-time engine to hand: a repeating quantifier applied to
 * a group that itself repeats or alternates (`(a+)+`, `(a|aa)*`), backreferences and lookarounds,
 * more than {@link MAX_REPEATS} repeating quantifiers, and patterns over {@link MAX_PATTERN_LENGTH}
 * characters. With values bounded by {@link MAX_MATCHED_VALUE_LENGTH}, what remains runs in
 * bounded time. Returns the problem, or undefined when the pattern is acceptable.
 */
export function checkRegexSafety(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `the regex is longer than ${MAX_PATTERN_LENGTH} characters`;
  // Per open group: does it contain a quantifier or an alternation?
  const groups: { ambiguous: boolean }[] = [{ ambiguous: false }];
  let repeats = 0;
  let lastWasGroup: { ambiguous: boolean } | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const current = groups[groups.length - 1] ?? { ambiguous: false };
    let closed: { ambiguous: boolean } | undefined;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences are not allowed';
      i++;
    } else if (c === '[') {
      // Skip the class: nothing inside it is a quantifier or a group.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
    } else if (c === '(') {
      if (pattern.startsWith('(?=', i) || pattern.startsWith('(?!', i) || pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) {
        return 'lookahead and lookbehind are not allowed';
      }
      groups.push({ ambiguous: false });
    } else if (c === ')') {
      closed = groups.pop();
      if (closed === undefined || groups.length === 0) return 'unbalanced parenthesis';
      const parent = groups[groups.length - 1];
      if (parent && closed.ambiguous) parent.ambiguous = true;
    } else if (c === '|') {
      current.ambiguous = true;
    } else if (c === '*' || c === '+' || c === '?' || c === '{') {
      let repeating = c !== '?';
      if (c === '{') {
        const brace = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (brace === null) continue;
        repeating = brace[2] !== undefined && (brace[3] === '' || Number(brace[3]) > 1) ? true : Number(brace[1]) > 1;
        i += brace[0].length - 1;
      }
      if (pattern[i + 1] === '?' || pattern[i + 1] === '+') i++;
      if (repeating) {
        if (lastWasGroup?.ambiguous === true) return 'a repeated group that itself repeats or alternates (like (a+)+ or (a|b)*) is not allowed: it can take exponential time';
        repeats++;
        if (repeats > MAX_REPEATS) return `more than ${MAX_REPEATS} repeating quantifiers (*, +, {n,m}) are not allowed`;
        current.ambiguous = true;
      }
    }
    lastWasGroup = closed;
  }
  if (groups.length !== 1) return 'unbalanced parenthesis';
  return undefined;
}

function isLabel(label: string): label is SilenceLabel {
  return (SILENCE_LABELS as readonly string[]).includes(label);
}

/** `"value"` or `'value'` as written on a shell line: the quotes are not part of the value. */
function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]) return value.slice(1, -1);
  return value;
}
