import { isIP } from 'node:net';
import type { Anomaly } from '../detect/anomaly.js';
import type { Entity, EntityKind } from '../features/entity.js';
import { formatScore } from '../shared/format-score.js';

/** A variable's name inside `{{ }}`: dotted words of letters and digits (`entity.pod`, `vars.authNamespace`). */
const VARIABLE_NAME = /^[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)*$/;
/** How much of a bad template a problem quotes. */
const QUOTED = 60;

/** A piece of a template: literal text, or a variable to fill. */
export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'variable'; readonly name: string; readonly raw: string };

/** A `{{` that does not open a variable, with where it starts in the text and the fix. */
export interface TemplateProblem {
  readonly offset: number;
  readonly message: string;
}

/**
 * Splits a parameter string into literal text and `{{ name }}` variables. Anything else that opens
 * with `{{` is a problem, never silently literal text: a filter (`{{ entity.pod | upper }}`), a
 * template not closed (`{{ entity.pod`), a name that is not one (`{{entity_pod}}`). A bad template
 * stays literal text in `parts`, so rendering is defined, but a playbook holding one is refused
 * when it loads.
 */
export function tokenizeTemplate(text: string): { parts: TemplatePart[]; problems: TemplateProblem[] } {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) break;
    literal += text.slice(i, open);
    const close = text.indexOf('}}', open + 2);
    const reopen = text.indexOf('{{', open + 2);
    if (close < 0 || (reopen >= 0 && reopen < close)) {
      const end = close < 0 ? text.length : reopen;
      problems.push({ offset: open, message: `"${quote(text.slice(open, end))}" is not closed; write "{{ name }}" with both braces` });
      literal += text.slice(open, end);
      i = end;
      continue;
    }
    const raw = text.slice(open, close + 2);
    const inner = text.slice(open + 2, close).trim();
    i = close + 2;
    if (VARIABLE_NAME.test(inner)) {
      if (literal !== '') parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push({ kind: 'variable', name: inner, raw });
      continue;
    }
    literal += raw;
    const bare = inner.split('|')[0]?.trim() ?? '';
    const dotted = inner.replace(/[_-]/g, '.');
    if (inner.includes('|')) {
      problems.push({ offset: open, message: `"${quote(raw)}" uses a filter; templates have none, write "{{ ${quote(bare)} }}"` });
    } else if (VARIABLE_NAME.test(dotted)) {
      problems.push({ offset: open, message: `"${quote(raw)}" is not a variable name (words are joined by dots); write "{{ ${dotted} }}"` });
    } else {
      problems.push({ offset: open, message: `"${quote(raw)}" is not a variable; write "{{ name }}" with a name such as entity.pod` });
    }
  }
  literal += text.slice(i);
  if (literal !== '') parts.push({ kind: 'text', text: literal });
  return { parts, problems };
}

function quote(text: string): string {
  return text.length > QUOTED ? `${text.slice(0, QUOTED)}...` : text;
}

/** Template variables a playbook may use in step parameters. */
export const TEMPLATE_VARIABLES = [
  'entity.key', 'entity.kind', 'entity.namespace', 'entity.name', 'entity.workload', 'entity.pod',
  'entity.model', 'entity.version', 'anomaly.id', 'anomaly.detector', 'anomaly.score', 'anomaly.severity',
  'incident.id', 'playbook.name',
] as const;

/** Which entity fields exist for which entity kind; a template naming a missing one is a config error. */
export const ENTITY_FIELDS: Record<EntityKind, readonly string[]> = {
  pod: ['key', 'kind', 'namespace', 'name', 'workload', 'pod'],
  workload: ['key', 'kind', 'namespace', 'name', 'workload'],
  principal: ['key', 'kind', 'name'],
  model: ['key', 'kind', 'namespace', 'name', 'model', 'version'],
  route: ['key', 'kind', 'namespace', 'name', 'workload'],
  authority: ['key', 'kind', 'namespace', 'name', 'workload'],
};

/**
 * Kinds whose name (and so key) a client or a compromised pod chooses: a principal's forwarded-for
 * value, a route's path template, an authority's Host. Their namespace and workload come from the
 * log shipper's Kubernetes metadata.
 */
export const CLIENT_NAMED_KINDS: readonly EntityKind[] = ['principal', 'route', 'authority'];

/** Prefix of a playbook's own variables (`{{ vars.authNamespace }}`), declared under `spec.vars`. */
export const VARS_SCOPE = 'vars';

/** The variables used in a string. */
export function templateVariables(text: string): string[] {
  return tokenizeTemplate(text).parts.flatMap((p) => (p.kind === 'variable' ? [p.name] : []));
}

/** Everything a template can refer to at execution time. */
export interface TemplateContext {
  readonly anomaly: Anomaly;
  readonly incidentId: string;
  readonly playbook: string;
  /**
   * The playbook's `spec.vars` with this install's overrides applied: site-specific values the SOC
   * wrote (a namespace, a secret path, a channel), trusted like the playbook's literal text.
   * `null`: declared without a default and not set by the install (it renders as missing).
   */
  readonly vars?: Readonly<Record<string, string | null>>;
}

/** What rendering produced: the filled value, variables with no value, and target values refused. */
export interface RenderResult {
  readonly value: unknown;
  readonly missing: string[];
  /** Why a value may not pick the step's target (one sentence each); the step must not run. */
  readonly refused: string[];
}

/**
 * Fills `{{ var }}` in every string of `value`; reports variables that have no value for this
 * anomaly. Filling is one pass and a filled value never holds template braces: in a parameter
 * that picks the step's target (`targetKeys`, top-level keys) such a value is refused, elsewhere
 * (a Slack text) its braces are split so no later renderer reads them as a template. In a target
 * parameter an entity value must also be a plain name (see `targetValueProblem`), and a
 * principal's only when its identity is one the engine established (an address Envoy saw, a
 * verified mesh identity): a client chooses the rest, and must never choose what is acted on.
 */
export function renderTemplates(value: unknown, context: TemplateContext, targetKeys: ReadonlySet<string> = new Set()): RenderResult {
  const missing: string[] = [];
  const refused: string[] = [];
  const lookup = (name: string): string | undefined => {
    const [scope, field] = name.split('.');
    if (scope === 'entity' && field !== undefined) {
      const v = (context.anomaly.entity as unknown as Record<string, unknown>)[field];
      return typeof v === 'string' ? v : undefined;
    }
    if (scope === 'anomaly') {
      switch (field) {
        case 'id': return context.anomaly.id;
        case 'detector': return context.anomaly.detector;
        case 'score': return formatScore(context.anomaly.score);
        case 'severity': return context.anomaly.severity;
        default: return undefined;
      }
    }
    if (scope === VARS_SCOPE) {
      const declared = name.slice(VARS_SCOPE.length + 1);
      return context.vars !== undefined && Object.hasOwn(context.vars, declared) ? context.vars[declared] ?? undefined : undefined;
    }
    if (name === 'incident.id') return context.incidentId;
    if (name === 'playbook.name') return context.playbook;
    return undefined;
  };
  const fill = (text: string, target: string | undefined): string =>
    tokenizeTemplate(text).parts.map((part) => {
      if (part.kind === 'text') return part.text;
      const name = part.name;
      const filled = lookup(name);
      if (filled === undefined) {
        missing.push(name);
        return '';
      }
      if (target === undefined) return filled.replace(/\{\{/g, '{ {').replace(/\}\}/g, '} }');
      const problem = targetValueProblem(name, filled, context.anomaly.entity);
      if (problem !== undefined) refused.push(`"{{ ${name} }}" may not pick the target (parameter ${target}): ${problem}`);
      return filled;
    }).join('');
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fill(v, undefined);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { value: walk(value), missing, refused };
  const rendered = Object.fromEntries(Object.entries(value).map(([k, x]) => [k, typeof x === 'string' && targetKeys.has(k) ? fill(x, k) : walk(x)]));
  return { value: rendered, missing, refused };
}

/**
 * Why a filled value may not stand in a target parameter, or undefined when it may. Only entity
 * values are judged: the others (anomaly id, playbook name) are the engine's own.
 */
export function targetValueProblem(variable: string, filled: string, entity: Entity): string | undefined {
  if (!variable.startsWith('entity.')) return undefined;
  if (/\{\{|\}\}/.test(filled)) return 'the value holds template braces';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(filled)) return 'the value holds control characters';
  if (filled.includes('..')) return 'the value holds ".."';
  if (/[/\\]/.test(filled)) return 'the value holds a path separator';
  if ((entity.kind === 'route' || entity.kind === 'authority') && (variable === 'entity.name' || variable === 'entity.key')) {
    return `${entity.key} is named by the request (a path or a Host the client or the pod chose)`;
  }
  if (entity.kind !== 'principal') return undefined;
  if (entity.identity === 'ip' && isIP(entity.name) !== 0) return undefined;
  if (entity.identity === 'mesh') return undefined;
  return `${entity.key} is a name the client may have chosen (identity ${entity.identity ?? 'not established'})`;
}
