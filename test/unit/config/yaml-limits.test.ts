import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_YAML_LIMITS, findYamlLimitViolation } from '../../../src/config/yaml-limits.js';

const limits = { ...DEFAULT_YAML_LIMITS, maxDepth: 4, maxExpandedNodes: 50 };
const check = (text: string): string | undefined => findYamlLimitViolation(parseDocument(text), limits)?.message;

describe('findYamlLimitViolation', () => {
  it('accepts a document that reuses an anchor a few times', () => {
    expect(check('base: &b { a: 1, b: 2 }\none: *b\ntwo: *b\n')).toBeUndefined();
  });

  it('accepts nesting exactly at the limit and refuses one level deeper', () => {
    expect(check('a: { b: { c: [1] } }')).toBeUndefined();
    expect(check('a: { b: { c: [[1]] } }')).toBe('YAML nesting is deeper than 4 levels; flatten the document');
  });

  it('counts what aliases expand to, not the aliases themselves', () => {
    expect(check('a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: &b [*a, *a, *a]\nc: [*b, *b]\n')).toMatch(/^the document expands to more than 50 values/);
  });

  it('refuses an alias inside the node its anchor names', () => {
    expect(check('a: &a { b: [*a] }')).toBe('alias *a refers to a node that contains it (a cycle); replace the alias with the values it should repeat');
  });

  it('points at the alias that closes the cycle', () => {
    const doc = parseDocument('a: &a\n  b: *a\n');
    expect(findYamlLimitViolation(doc, limits)?.offset).toBe('a: &a\n  b: '.length);
  });

  it('follows a redefined anchor to its latest definition, as YAML does', () => {
    expect(check('x: &a [1]\ny: &a [2]\nz: *a\n')).toBeUndefined();
  });
});
