import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Anomaly } from '../detect/anomaly.js';
import { workloadName, type Entity } from '../features/entity.js';
import type { AnomalyInput } from './playbook-test-spec.js';

/**
 * The entity an engine would have built for `key`, or a sentence saying why the key is not one.
 * Keys follow `entity-resolver.ts`: `pod:<namespace>/<pod>`, `workload:<namespace>/<name>`,
 * `principal:<name>`, `model:<namespace>/<model>@<version>`.
 */
export function entityFromKey(
  key: string,
  labels?: Readonly<Record<string, string>>,
  identity?: Entity['identity'],
): Entity | string {
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  const rest = key.slice(colon + 1);
  const withLabels = labels !== undefined ? { labels } : {};
  if (kind === 'principal') {
    return { key, kind, name: rest, identity: identity ?? (isIP(rest) !== 0 ? 'ip' : 'unresolved'), ...withLabels };
  }
  const slash = rest.indexOf('/');
  const namespace = rest.slice(0, slash);
  const name = rest.slice(slash + 1);
  if (slash <= 0 || name === '') return `"${key}" needs a namespace and a name: "${kind}:<namespace>/<name>"`;
  if (kind === 'pod') {
    return { key, kind, namespace, name, pod: name, ...optional('workload', workloadName(name, labels)), ...withLabels };
  }
  if (kind === 'workload') return { key, kind, namespace, name, workload: name, ...withLabels };
  const at = name.lastIndexOf('@');
  if (at <= 0 || at === name.length - 1) return `"${key}" needs a model version: "model:<namespace>/<model>@<version>"`;
  const model = name.slice(0, at);
  return { key, kind: 'model', namespace, name: model, model, version: name.slice(at + 1), ...withLabels };
}

/** The anomaly a test feeds directly; its id is derived the way a detector derives one. */
export function testAnomaly(input: AnomalyInput, entity: Entity, windowMs: number, detectorSeverity: Anomaly['severity'] | undefined): Anomaly {
  return {
    id: createHash('sha256').update(`${input.detector}\n${entity.key}\n${input.window}`).digest('hex').slice(0, 24),
    detector: input.detector,
    severity: input.severity ?? detectorSeverity ?? 'medium',
    entity,
    score: input.score,
    windowStart: input.window,
    windowEnd: input.window + windowMs,
    evidence: (input.evidence ?? []).map((e) => ({
      feature: e.feature, observed: e.observed, expected: e.expected, spread: e.spread,
      score: input.score, ...(e.details !== undefined ? { details: e.details } : {}),
    })),
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
