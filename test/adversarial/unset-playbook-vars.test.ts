/**
 * A shipped playbook names no site's targets: a variable without a default stays unset until the
 * install sets it, and a step that would use it is refused with where to set it, never run against
 * an empty or guessed target. A Slack channel may come from the playbook's variables only, never
 * from a value an attacker wrote (a principal's name, a label).
 */
import { describe, expect, it } from 'vitest';
import { notify } from '../../src/actions/slack/notify.js';
import { approval } from '../../src/actions/slack/approval.js';
import { checkConfig } from '../../src/config/check-config.js';
import { checkNote } from '../../src/cli/check-output.js';
import { loadConfig } from '../../src/config/load-config.js';
import { playbookSchema } from '../../src/playbook/playbook-spec.js';
import { applyVarOverrides, unsetVars } from '../../src/playbook/playbook-vars.js';

describe('variables with no default', () => {
  it('leaves the shipped rotation without a namespace or secret path until the install sets them', async () => {
    const shipped = (await loadConfig(['playbooks'])).playbooks.map((p) => p.value);
    const rotate = shipped.find((p) => p.metadata.name === 'rotate-credentials-on-stuffing');
    expect(rotate && unsetVars(rotate)).toEqual(['authNamespace', 'sessionSecretPath']);
    const set = applyVarOverrides(shipped, { 'rotate-credentials-on-stuffing': { authNamespace: 'identity', sessionSecretPath: 'identity/login/session' } });
    expect(set.problems).toEqual([]);
    for (const p of set.playbooks) expect(unsetVars(p)).toEqual([]);
  });

  it('is named by check, which still passes, and not once a service config among the files sets it', async () => {
    const alone = await checkConfig(['detectors', 'playbooks']);
    expect(alone.problems).toEqual([]);
    expect(checkNote(alone)).toContain('note: playbook rotate-credentials-on-stuffing: vars.authNamespace, vars.sessionSecretPath have no default; set playbookVars.rotate-credentials-on-stuffing.authNamespace');
    const configured = await checkConfig(['detectors', 'playbooks', 'examples/recording/meshwarden.yaml']);
    expect(configured.problems).toEqual([]);
    expect(configured.unsetVars).toEqual({});
    expect(checkNote(configured)).toBeUndefined();
  });
});

describe('a Slack channel', () => {
  const base = {
    apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name: 'p' },
    spec: { trigger: { detectors: ['auth-failure-storm'] }, vars: { alertsChannel: '#soc-alerts' } },
  };
  const withChannel = (channel: string): boolean =>
    playbookSchema.safeParse({ ...base, spec: { ...base.spec, steps: [{ action: 'slack.notify', params: { channel } }] } }).success;

  it('takes a playbook variable but never an entity\'s value, which a client or a workload owner writes', () => {
    expect(withChannel('{{ vars.alertsChannel }}')).toBe(true);
    expect(withChannel('{{ entity.name }}')).toBe(false);
    expect(withChannel('#{{ entity.namespace }}')).toBe(false);
    expect(withChannel('{{ anomaly.detector }}')).toBe(false);
  });

  it('is checked again once filled: a variable set to something that is not a channel is refused by the action', () => {
    expect(notify.params.safeParse({ channel: '#soc alerts; @here' }).success).toBe(false);
    expect(approval.params.safeParse({ channel: '{{ vars.x }}{{', approvers: { users: ['U1'] } }).success).toBe(false);
    expect(notify.params.safeParse({ channel: '#soc-alerts' }).success).toBe(true);
  });
});
