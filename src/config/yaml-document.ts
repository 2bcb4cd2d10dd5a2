import { LineCounter, parseAllDocuments, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import type { ConfigProblem } from '../shared/errors.js';
import { describeIssue } from './describe-issue.js';
import { DEFAULT_YAML_LIMITS, findYamlLimitViolation, type YamlLimits } from './yaml-limits.js';

/** One YAML document of a file, validated, with the file it came from. */
export interface LoadedDocument<T> {
  readonly file: string;
  readonly index: number;
  readonly value: T;
  /** Line and column of the value at `path` in the file (for cross-file checks). */
  locate(path: readonly PathKey[]): { line: number; col: number };
}

/** The documents that validated and the problems of those that did not. */
export interface LoadResult<T> {
  readonly documents: LoadedDocument<T>[];
  readonly problems: ConfigProblem[];
  /**
   * Documents that parsed as YAML but failed their schema, as plain data: checks across files
   * still read what they can of them (a name, the detectors a trigger names), so a schema problem
   * never hides a cross-file one.
   */
  readonly rejected: LoadedDocument<unknown>[];
}

/** A step in a path into a document: a mapping key or a sequence index. */
export type PathKey = string | number;

/**
 * Parses every YAML document in `text` and validates it with `schema`, reporting every problem
 * (syntax or schema) with its line and column in the file, never only the first one.
 *
 * The text may be hostile (a playbook from a pull request, a ConfigMap someone else can write), so
 * a file over `limits.maxBytes`, a document nested too deep, a cyclic alias or an alias bomb is
 * reported as a problem of that file before anything is materialised, never thrown.
 */
export function loadYamlDocuments<S extends z.ZodType>(
  file: string,
  text: string,
  schema: S,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
): LoadResult<z.output<S>> {
  if (Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    return { documents: [], problems: [tooLarge(file, Buffer.byteLength(text, 'utf8'), limits)], rejected: [] };
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  const documents: LoadedDocument<z.output<S>>[] = [];
  const rejected: LoadedDocument<unknown>[] = [];
  const at = (offset: number): { line: number; col: number } => lineCounter.linePos(offset);

  if (!Array.isArray(docs)) {
    // parseAllDocuments returns an EmptyStream for a file with no document at all.
    problems.push({ file, line: 1, col: 1, path: '', message: 'the file holds no YAML document; add one or delete the file' });
    return { documents, problems, rejected };
  }
  docs.forEach((doc, index) => {
    const syntax = [...doc.errors, ...doc.warnings];
    for (const error of syntax) {
      const pos = at(error.pos[0]);
      // The parser recurses per nesting level and reports running out of stack as a syntax error.
      const message = error.message.includes('Maximum call stack size exceeded')
        ? `YAML nesting is deeper than ${limits.maxDepth} levels; flatten the document`
        : `YAML syntax: ${firstLine(error.message)}`;
      problems.push({ file, ...pos, path: '', message });
    }
    if (doc.errors.length > 0) return;
    const violation = findYamlLimitViolation(doc, limits);
    if (violation !== undefined) {
      problems.push({ file, ...at(violation.offset), path: '', message: violation.message });
      return;
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // The walk above bounds what toJS can meet; this keeps any resolution error of the yaml
      // package a problem of this document rather than a crash.
      problems.push({ file, ...at(doc.range[0]), path: '', message: `YAML cannot be resolved: ${firstLine(error instanceof Error ? error.message : String(error))}; remove the aliases (*name) it points at` });
      return;
    }
    if (data === null || data === undefined) return;
    const parsed = schema.safeParse(data);
    if (parsed.success) {
      documents.push({ file, index, value: parsed.data, locate: (path) => positionOf(doc, path, undefined, at) });
      return;
    }
    rejected.push({ file, index, value: data, locate: (path) => positionOf(doc, path, undefined, at) });
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
      const pos = positionOf(doc, path, issue.code === 'unrecognized_keys' ? issue.keys : undefined, at);
      problems.push({ file, ...pos, path: formatPath(path), message: describeIssue(issue, path, valueAt(data, path), schema, data) });
    }
  });
  // A file of comments or `---` alone is as empty as a file of nothing: it configures nothing,
  // which is never what its author meant (a truncated ConfigMap key, a file emptied by a merge).
  if (documents.length === 0 && rejected.length === 0 && problems.length === 0) problems.push({ file, line: 1, col: 1, path: '', message: 'the file holds no YAML document; add one or delete the file' });
  return { documents, problems, rejected };
}

/** The problem reported for a file over the size limit, before it is parsed. */
export function tooLarge(file: string, bytes: number, limits: YamlLimits): ConfigProblem {
  return {
    file, line: 1, col: 1, path: '',
    message: `the file is ${bytes.toLocaleString('en-US')} bytes; configuration files may hold at most ${limits.maxBytes.toLocaleString('en-US')}, split it into several files`,
  };
}

/** `spec.steps[1].action` */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function valueAt(data: unknown, path: readonly PathKey[]): unknown {
  let current: unknown = data;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PathKey, unknown>)[key];
  }
  return current;
}

/**
 * Finds where in the file the offending value sits: the deepest node of `path` that exists (a
 * missing key points at its parent mapping), or the unknown key itself.
 */
function positionOf(
  doc: Document,
  path: readonly PathKey[],
  unknownKeys: readonly string[] | undefined,
  at: (offset: number) => { line: number; col: number },
): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node: unknown = doc.getIn(path.slice(0, depth), true);
    if (!isNode(node) || !node.range) continue;
    const firstUnknown = unknownKeys?.[0];
    if (depth === path.length && firstUnknown !== undefined && 'items' in node && Array.isArray(node.items)) {
      for (const pair of node.items as unknown[]) {
        const key = (pair as { key?: unknown }).key;
        if (isNode(key) && key.range && (key as { value?: unknown }).value === firstUnknown) return at(key.range[0]);
      }
    }
    return at(node.range[0]);
  }
  return { line: 1, col: 1 };
}
