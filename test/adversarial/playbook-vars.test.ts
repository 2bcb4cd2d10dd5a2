/**
 * Playbook variables are the SOC's text: an attacker who writes a principal name, a model name or a
 * label must not be able to reach them, fill them or make them name something else. A client that
 * calls itself `{{ vars.authNamespace }}` gets that string shown inert, never the variable's value;
 * a name chosen to hit a property every object has (`constructor`) resolves to nothing; and no
 * variable may itself hold a template that an attacker-chosen entity field would then fill.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { serviceConfigSchema } from '../../src/config/service-config.js';
import type { Anomaly } from '../../src/detect/anomaly.js';
import type { Entity } from '../../src/features/entity.js';
import { applyVarOverrides } from '../../src/playbook/playbook-vars.js';
import { renderTemplates } from '../../src/playbook/templates.js';

const anomaly = (entity: Entity): Anomaly => ({ id: 'a1', detector: 'auth-failure-storm', severity: 'high', entity, score: 0.99, windowStart: 0, windowEnd: 60_000, evidence: [] });
const vars = { authNamespace: 'identity', authDeployment: 'login', sessionSecretPath: 'identity/login/session', signingKey: 'signing-key' };

describe('a client that names itself after a playbook variable', () => {
  const forged: Entity = { key: 'principal:{{ vars.authNamespace }}', kind: 'principal', name: '{{ vars.authNamespace }}' };

  it('sees its name shown inert in the alert text, never the variable it spelt', () => {
    const result = renderTemplates({ text: 'stuffing on {{ entity.name }}' }, { anomaly: anomaly(forged), incidentId: 'i', playbook: 'p', vars });
    expect(result.value).toEqual({ text: 'stuffing on { { vars.authNamespace } }' });
  });

  it('cannot move the shipped stuffing response off the Deployment and secret the SOC named', async () => {
    const config = await loadConfig(['playbooks']);
    const shipped = config.playbooks.map((p) => p.value);
    const { playbooks } = applyVarOverrides(shipped, { 'rotate-credentials-on-stuffing': vars });
    const playbook = playbooks.find((p) => p.metadata.name === 'rotate-credentials-on-stuffing');
    const filled = (playbook?.spec.steps ?? []).map((step) =>
      renderTemplates(step.params, { anomaly: anomaly(forged), incidentId: 'i', playbook: 'p', ...(playbook?.spec.vars ? { vars: playbook.spec.vars } : {}) }, new Set(['namespace', 'deployment', 'path'])));
    expect(filled.flatMap((r) => r.refused)).toEqual([]);
    expect(filled.slice(1).map((r) => r.value)).toEqual([
      expect.objectContaining({ path: 'identity/login/session', keys: ['signing-key'] }),
      { namespace: 'identity', deployment: 'login' },
    ]);
  });
});

describe('a variable name chosen to hit what every object has', () => {
  it('resolves to nothing, so the step does not run', () => {
    const workload: Entity = { key: 'workload:ml-prod/auth', kind: 'workload', namespace: 'ml-prod', name: 'auth', workload: 'auth' };
    const result = renderTemplates({ namespace: '{{ vars.constructor }}' }, { anomaly: anomaly(workload), incidentId: 'i', playbook: 'p', vars }, new Set(['namespace']));
    expect(result.missing).toEqual(['vars.constructor']);
  });

  it('is reported when a playbook uses it without declaring it', async () => {
    const config = await loadConfig(['test/fixtures/config/playbook-vars/undeclared-prototype-var.yaml']);
    expect(config.problems.map((p) => [p.line, p.message])).toEqual([
      [15, 'deployment: "{{ vars.constructor }}": "{{ vars.constructor }}" is not declared; add "constructor" with its default under spec.vars (declared: "authNamespace")'],
    ]);
  });
});

describe('an install value that is itself a template', () => {
  it('is refused, so no entity field a client wrote can fill a variable-named target', () => {
    const base = { apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig', kafka: { brokers: ['k:9092'] } };
    const result = serviceConfigSchema.safeParse({ ...base, playbookVars: { 'rotate-credentials-on-stuffing': { authDeployment: '{{ entity.name }}' } } });
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['playbookVars.rotate-credentials-on-stuffing.authDeployment', 'a variable\'s value must not contain "{{" or "}}"'],
    ]);
  });
});
