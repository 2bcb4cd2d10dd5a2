import { describe, expect, it } from 'vitest';
import { checkRegexSafety, matchValue, parseMatcher, parseMatchers, MatcherError } from '../../../src/silences/silence-matcher.js';

describe('silence matchers', () => {
  it('parses the four operators of Alertmanager, with optional quotes', () => {
    expect(parseMatcher('detector=egress-spike')).toMatchObject({ label: 'detector', op: '=', value: 'egress-spike' });
    expect(parseMatcher('namespace != "kube-system"')).toMatchObject({ label: 'namespace', op: '!=', value: 'kube-system' });
    expect(parseMatcher("namespace=~'ml-.*'")).toMatchObject({ label: 'namespace', op: '=~', value: 'ml-.*' });
    expect(parseMatcher('pod!~inference-.*')).toMatchObject({ label: 'pod', op: '!~', value: 'inference-.*' });
  });

  it('anchors a regex at both ends: a value that merely contains a match does not match', () => {
    const m = parseMatcher('principal=~10\\.0\\.0\\.[0-9]+');
    expect(matchValue(m, '10.0.0.7')).toBe(true);
    expect(matchValue(m, 'evil-10.0.0.7')).toBe(false);
    expect(matchValue(m, '10.0.0.7.attacker.example')).toBe(false);
    // An alternation is anchored as a whole, not only its first and last branch.
    const alt = parseMatcher('namespace=~ml-prod|ml-staging');
    expect(matchValue(alt, 'ml-prod-evil')).toBe(false);
    expect(matchValue(alt, 'x-ml-staging')).toBe(false);
    expect(matchValue(alt, 'ml-staging')).toBe(true);
  });

  it('treats an absent label as the empty value, as Alertmanager does', () => {
    expect(matchValue(parseMatcher('pod!=x'), '')).toBe(true);
    expect(matchValue(parseMatcher('pod=x'), '')).toBe(false);
  });

  it('names the matcher and the problem for an unknown label, a missing operator or an invalid regex', () => {
    expect(() => parseMatcher('severity=high')).toThrow('matcher "severity=high": unknown label "severity"');
    expect(() => parseMatcher('detector')).toThrow('matcher "detector": expected <label><op><value>');
    expect(() => parseMatcher('pod=~inference-[')).toThrow(/matcher "pod=~inference-\[": not a valid regular expression/);
  });

  it('reports every bad matcher of a silence at once', () => {
    let error: unknown;
    try {
      parseMatchers(['severity=high', 'pod=~(a+)+', 'detector=egress-spike']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MatcherError);
    expect((error as Error).message.split('\n')).toEqual([
      expect.stringContaining('matcher "severity=high"'),
      expect.stringContaining('matcher "pod=~(a+)+"'),
    ]);
  });

  it('refuses a silence whose matchers all match the empty value: it would silence everything', () => {
    expect(() => parseMatchers(['namespace=~.*'])).toThrow('would match everything');
    expect(() => parseMatchers(['pod!=x', 'namespace=~.*'])).toThrow('would match everything');
    expect(() => parseMatchers([])).toThrow('at least one matcher');
    expect(parseMatchers(['detector=egress-spike', 'namespace=~.*'])).toHaveLength(2);
  });

  it.each([
    ['(a+)+$', 'exponential'],
    ['(a|aa)*', 'exponential'],
    ['(x(a*)b)+', 'exponential'],
    ['(a{2,})*', 'exponential'],
    ['(a)\\1', 'backreferences'],
    ['(?<x>a)\\k<x>', 'backreferences'],
    ['(?=a)a', 'lookahead'],
    ['(?<!a)b', 'lookahead'],
    ['.*a.*b.*c.*d', 'more than 3'],
    ['a'.repeat(257), 'longer than 256'],
    ['(a', 'unbalanced'],
  ])('refuses the catastrophic pattern %s', (pattern, problem) => {
    expect(checkRegexSafety(pattern)).toContain(problem);
    expect(() => parseMatcher(`pod=~${pattern}`)).toThrow(MatcherError);
  });

  it.each(['ml-.*', 'inference-[a-z0-9]+-[a-z0-9]{5}', '(ml|ai)-prod', '10\\.0\\.[0-9]{1,3}\\.[0-9]{1,3}', '(foo)?bar', '[(+*]+'])('accepts the ordinary pattern %s', (pattern) => {
    expect(checkRegexSafety(pattern)).toBeUndefined();
  });

  it('matches an allowed pattern against the longest value it tests in well under a second', () => {
    const m = parseMatcher('pod=~.*a.*b.*c');
    const started = performance.now();
    expect(matchValue(m, 'a'.repeat(512))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('never silences on a value longer than it tests, whichever regex operator', () => {
    const long = 'x'.repeat(513);
    expect(matchValue(parseMatcher('pod=~x+'), long)).toBe(false);
    expect(matchValue(parseMatcher('pod!~y+'), long)).toBe(false);
  });
});
