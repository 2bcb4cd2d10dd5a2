import { isIP } from 'node:net';
import type { Anomaly } from '../detect/anomaly.js';
import type { Entity, EntityKind } from '../features/entity.js';
import { formatScore } from '../shared/format-score.js';

const TEMPLATE = /\{\{\s*([a-zA-Z.]+)\s*\}\}/g;

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
};

/** Prefix of a playbook's own variables (`{{ vars.authNamespace }}`), declared under `spec.vars`. */
export const VARS_SCOPE = 'vars';

/** The variables used in a string. */
export function templateVariables(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((m) => m[1] ?? '');
}

/** Everything a template can refer to at execution time. */
export interface TemplateContext {
  readonly anomaly: Anomaly;
  readonly incidentId: string;
  readonly playbook: string;
  /**
   * The playbook's `spec.vars` with this install's overrides applied: site-specific values the SOC
   * wrote (a namespace, a secret path, a channel), trusted like the playbook's literal text.
   */
  readonly vars?: Readonly<Record<string, string>>;
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
      return context.vars !== undefined && Object.hasOwn(context.vars, declared) ? context.vars[declared] : undefined;
    }
    if (name === 'incident.id') return context.incidentId;
    if (name === 'playbook.name') return context.playbook;
    return undefined;
  };
  const fill = (text: string, target: string | undefined): string =>
    text.replace(TEMPLATE, (_, name: string) => {
      const filled = lookup(name);
      if (filled === undefined) {
        missing.push(name);
        return '';
      }
      if (target === undefined) return filled.replace(/\{\{/g, '{ {').replace(/\}\}/g, '} }');
      const problem = targetValueProblem(name, filled, context.anomaly.entity);
      if (problem !== undefined) refused.push(`"{{ ${name} }}" may not pick the target (parameter ${target}): ${problem}`);
      return filled;
    });
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
  if (entity.kind !== 'principal') return undefined;
  if (entity.identity === 'ip' && isIP(entity.name) !== 0) return undefined;
  if (entity.identity === 'mesh') return undefined;
  return `${entity.key} is a name the client may have chosen (identity ${entity.identity ?? 'not established'})`;
}
