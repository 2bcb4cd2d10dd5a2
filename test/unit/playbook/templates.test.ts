import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import type { Entity } from '../../../src/features/entity.js';
import { renderTemplates, targetValueProblem } from '../../../src/playbook/templates.js';

const anomaly = (entity: Entity): Anomaly => ({ id: 'a1', detector: 'd', severity: 'high', entity, score: 0.9, windowStart: 0, windowEnd: 60_000, evidence: [] });
const pod: Entity = { key: 'pod:ml-prod/inference-1', kind: 'pod', namespace: 'ml-prod', name: 'inference-1', pod: 'inference-1' };

describe('renderTemplates', () => {
  it('fills target and other parameters alike when the values are plain names', () => {
    const result = renderTemplates({ namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}', note: 'on {{ entity.key }}' }, { anomaly: anomaly(pod), incidentId: 'i', playbook: 'p' }, new Set(['namespace', 'pod']));
    expect(result).toEqual({ value: { namespace: 'ml-prod', pod: 'inference-1', note: 'on pod:ml-prod/inference-1' }, missing: [], refused: [] });
  });

  it('splits template braces in a filled value outside targets, so no later pass expands them', () => {
    const model: Entity = { key: 'model:ml-prod/{{x}}@v1', kind: 'model', namespace: 'ml-prod', name: '{{x}}', model: '{{ anomaly.id }}' };
    const result = renderTemplates({ text: '{{ entity.model }} and {{ entity.name }}' }, { anomaly: anomaly(model), incidentId: 'i', playbook: 'p' });
    expect(result.value).toEqual({ text: '{ { anomaly.id } } and { {x} }' });
  });

  it('refuses an entity value with braces, control characters, ".." or separators in a target parameter', () => {
    const model: Entity = { key: 'model:ml-prod/x', kind: 'model', namespace: 'ml-prod', name: 'x', model: '../../kube-system/x' };
    const result = renderTemplates({ namespace: 'ml-prod', deployment: '{{ entity.model }}-predictor' }, { anomaly: anomaly(model), incidentId: 'i', playbook: 'p' }, new Set(['namespace', 'deployment']));
    expect(result.refused).toEqual(['"{{ entity.model }}" may not pick the target (parameter deployment): the value holds ".."']);
  });
});

describe('targetValueProblem', () => {
  const principal = (name: string, identity?: Entity['identity']): Entity => ({ key: `principal:${name}`, kind: 'principal', name, ...(identity ? { identity } : {}) });

  it('accepts only principals whose identity the engine established', () => {
    expect(targetValueProblem('entity.name', '203.0.113.5', principal('203.0.113.5', 'ip'))).toBeUndefined();
    expect(targetValueProblem('entity.name', '203.0.113.5', principal('203.0.113.5'))).toBe('principal:203.0.113.5 is a name the client may have chosen (identity not established)');
    expect(targetValueProblem('entity.name', 'victim', principal('victim', 'ip'))).toMatch(/client may have chosen \(identity ip\)/);
  });

  it('never lets a route\'s or an external host\'s name pick a target, only their workload and namespace', () => {
    const route: Entity = { key: 'route:ml-prod/auth:POST:/v1/login', kind: 'route', namespace: 'ml-prod', name: 'POST /v1/login', workload: 'auth' };
    const host: Entity = { key: 'authority:ml-prod/auth->vault-admin', kind: 'authority', namespace: 'ml-prod', name: 'vault-admin', workload: 'auth' };
    expect(targetValueProblem('entity.name', 'vault-admin', host)).toBe('authority:ml-prod/auth->vault-admin is named by the request (a path or a Host the client or the pod chose)');
    expect(targetValueProblem('entity.key', 'x', route)).toMatch(/named by the request/);
    expect(targetValueProblem('entity.workload', 'auth', route)).toBeUndefined();
    expect(targetValueProblem('entity.namespace', 'ml-prod', host)).toBeUndefined();
  });

  it('never judges the engine\'s own values', () => {
    expect(targetValueProblem('incident.id', 'a/b', principal('x'))).toBeUndefined();
  });

  it.each([['a\u0007b', 'control characters'], ['a\\b', 'path separator'], ['{{x}}', 'template braces'], ['a..b', '".."']])('refuses %j', (value, why) => {
    expect(targetValueProblem('entity.name', value, pod)).toContain(why);
  });
});

describe('renderTemplates with playbook variables', () => {
  const workload: Entity = { key: 'workload:ml-prod/auth', kind: 'workload', namespace: 'ml-prod', name: 'auth', workload: 'auth' };

  it('fills a declared variable in target and other parameters alike, never refusing it', () => {
    const result = renderTemplates(
      { path: '{{ vars.secretPath }}', text: 'rotating {{ vars.secretPath }}' },
      { anomaly: anomaly(workload), incidentId: 'i', playbook: 'p', vars: { secretPath: 'identity/login/session' } },
      new Set(['path']),
    );
    expect(result).toEqual({ value: { path: 'identity/login/session', text: 'rotating identity/login/session' }, missing: [], refused: [] });
  });

  it('reports a variable with no value as missing', () => {
    const result = renderTemplates({ path: '{{ vars.secretPath }}' }, { anomaly: anomaly(workload), incidentId: 'i', playbook: 'p' }, new Set(['path']));
    expect(result.missing).toEqual(['vars.secretPath']);
  });
});
