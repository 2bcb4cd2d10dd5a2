import type { z } from 'zod';
import { quote } from './access-log-context.js';

function pathText(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text.length === 0 ? String(part) : `.${String(part)}`;
  }
  return text;
}

function describe(issue: z.core.$ZodIssue): string {
  const where = pathText(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => `'${key}'`).join(', ');
    const noun = issue.keys.length === 1 ? 'unknown key' : 'unknown keys';
    return where.length === 0 ? `${noun} ${keys}` : `${noun} ${keys} in '${where}'`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `'${where}' is required`;
  }
  if (issue.code === 'custom') {
    // Cross-field rules phrase their message as a predicate on the key ("is before window.start")
    // and pass the offending value as input, when there is one.
    const got = issue.input === undefined || typeof issue.input === 'object' ? '' : ` (got ${quote(issue.input)})`;
    return `'${where}' ${issue.message}${got}`;
  }
  const value = 'input' in issue && issue.input !== undefined ? ` (got ${quote(issue.input)})` : '';
  return where.length === 0 ? `${issue.message}${value}` : `'${where}': ${issue.message}${value}`;
}

/**
 * Turns every schema issue into one human-readable reason, each naming the key path and quoting
 * the offending value: `drift_metric.v1: unknown key 'colour' in 'model'; 'statistic': Invalid
 * input: expected number, received string (got "0.3")`. Parse with `reportInput: true` so that
 * the values are there to quote.
 */
export function formatSchemaIssues(schemaName: string, issues: readonly z.core.$ZodIssue[]): string {
  return `${schemaName}: ${issues.map(describe).join('; ')}`;
}
