import type { Anomaly } from '../detect/anomaly.js';
import type { EntityKind } from '../features/entity.js';
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

/** The variables used in a string. */
export function templateVariables(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((m) => m[1] ?? '');
}

/** Everything a template can refer to at execution time. */
export interface TemplateContext {
  readonly anomaly: Anomaly;
  readonly incidentId: string;
  readonly playbook: string;
}

/** Fills `{{ var }}` in every string of `value`; reports variables that have no value for this anomaly. */
export function renderTemplates(value: unknown, context: TemplateContext): { value: unknown; missing: string[] } {
  const missing: string[] = [];
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
    if (name === 'incident.id') return context.incidentId;
    if (name === 'playbook.name') return context.playbook;
    return undefined;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(TEMPLATE, (_, name: string) => {
        const filled = lookup(name);
        if (filled === undefined) {
          missing.push(name);
          return '';
        }
        return filled;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { value: walk(value), missing };
}
