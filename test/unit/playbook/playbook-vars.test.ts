import { describe, expect, it } from 'vitest';
import { serviceConfigSchema } from '../../../src/config/service-config.js';
import { applyVarOverrides } from '../../../src/playbook/playbook-vars.js';
import { playbookSchema } from '../../../src/playbook/playbook-spec.js';

const playbook = (vars: Record<string, string> | undefined, namespace = '{{ vars.authNamespace }}'): unknown => ({
  apiVersion: 'meshwarden.io/v1',
  kind: 'Playbook',
  metadata: { name: 'restart-auth' },
  spec: {
    trigger: { detectors: ['d'], entityKinds: ['workload'] },
    ...(vars ? { vars } : {}),
    steps: [{ action: 'kubernetes.restart-deployment', params: { namespace, deployment: 'auth' } }],
  },
});

describe('spec.vars', () => {
  it('accepts a step that uses a declared variable', () => {
    expect(playbookSchema.safeParse(playbook({ authNamespace: 'ml-prod' })).success).toBe(true);
  });

  it('reports a variable the playbook does not declare, at the step parameter, naming the declared ones', () => {
    const result = playbookSchema.safeParse(playbook({ authNs: 'ml-prod' }));
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['spec.steps.0.params.namespace', '"{{ vars.authNamespace }}" is not declared; add "authNamespace" with its default under spec.vars (declared: "authNs")'],
    ]);
  });

  it('accepts an empty value (a suffix a site does not use)', () => {
    expect(playbookSchema.safeParse(playbook({ authNamespace: '' })).success).toBe(true);
  });

  it('refuses a value that is itself a template, and a name templates could not reach', () => {
    const result = playbookSchema.safeParse(playbook({ authNamespace: '{{ entity.namespace }}', 'auth-ns': 'x' }));
    expect(result.error?.issues.map((i) => i.message)).toEqual(expect.arrayContaining([
      'a variable\'s value must not contain "{{" or "}}"',
      expect.stringContaining('use letters only'),
    ]));
  });
});

describe('applyVarOverrides', () => {
  const parsed = playbookSchema.parse(playbook({ authNamespace: 'ml-prod', other: 'kept' }));

  it('replaces the defaults it names and keeps the others', () => {
    const { playbooks, problems } = applyVarOverrides([parsed], { 'restart-auth': { authNamespace: 'identity' } });
    expect(problems).toEqual([]);
    expect(playbooks[0]?.spec.vars).toEqual({ authNamespace: 'identity', other: 'kept' });
    expect(parsed.spec.vars).toEqual({ authNamespace: 'ml-prod', other: 'kept' });
  });

  it('reports an override of a playbook or a variable that does not exist', () => {
    const { problems } = applyVarOverrides([parsed], { 'restart-ath': { authNamespace: 'x' }, 'restart-auth': { authNamspace: 'x' } });
    expect(problems).toEqual([
      'playbookVars.restart-ath: no playbook is named "restart-ath"; known playbooks: restart-auth',
      'playbookVars.restart-auth.authNamspace: playbook restart-auth declares no variable "authNamspace"; declared: authNamespace, other',
    ]);
  });

  it('is read from the service config, where a value holding a template is refused', () => {
    const base = { apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig', kafka: { brokers: ['k:9092'] } };
    expect(serviceConfigSchema.parse(base).playbookVars).toEqual({});
    expect(serviceConfigSchema.safeParse({ ...base, playbookVars: { 'restart-auth': { authNamespace: '{{ entity.name }}' } } }).success).toBe(false);
  });
});
