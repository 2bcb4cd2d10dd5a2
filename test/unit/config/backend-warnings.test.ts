import { describe, expect, it } from 'vitest';
import { backendWarnings } from '../../../src/config/backend-warnings.js';
import { loadConfig } from '../../../src/config/load-config.js';

const ALL_ON = { kubernetes: true, vault: true, slack: true };

describe('backendWarnings', () => {
  it('says nothing when every backend the shipped playbooks use is enabled', async () => {
    const { playbooks } = await loadConfig(['playbooks']);
    expect(backendWarnings(playbooks, ALL_ON)).toEqual([]);
  });

  it('names every Slack step of the shipped playbooks, with file and line, when Slack is disabled', async () => {
    const { playbooks } = await loadConfig(['playbooks']);
    const warnings = backendWarnings(playbooks, { ...ALL_ON, slack: false });
    expect(warnings.map((w) => `${w.file}:${w.line} ${w.action}`)).toEqual([
      'playbooks/isolate-on-lateral-movement.yaml:20 slack.notify',
      'playbooks/isolate-on-lateral-movement.yaml:26 slack.approval',
      'playbooks/model-rollback.yaml:28 slack.notify',
      'playbooks/model-rollback.yaml:34 slack.approval',
      'playbooks/notify-on-falco-critical.yaml:22 slack.notify',
      'playbooks/notify-on-falco-critical.yaml:28 slack.approval',
      'playbooks/notify-on-multivariate-anomaly.yaml:20 slack.notify',
      'playbooks/notify-on-service-degradation.yaml:18 slack.notify',
      'playbooks/quarantine-on-exfiltration.yaml:25 slack.notify',
      'playbooks/rotate-credentials-on-stuffing.yaml:31 slack.notify',
    ]);
    expect(warnings.find((w) => w.playbook === 'quarantine-on-exfiltration')?.message).toBe(
      'playbook quarantine-on-exfiltration, step "tell the SOC" (slack.notify) needs slack, which is disabled (slack.enabled: false): it fails on every run and the run goes on without it',
    );
    expect(warnings.find((w) => w.action === 'slack.approval')?.message).toContain('no approval can be asked, so the steps it gates never run');
  });

  it('names a Vault step when Vault is disabled', async () => {
    const { playbooks } = await loadConfig(['playbooks']);
    expect(backendWarnings(playbooks, { ...ALL_ON, vault: false }).map((w) => w.message)).toEqual([
      'playbook rotate-credentials-on-stuffing, step "rotate signing key" (vault.rotate-secret) needs vault, which is disabled (vault.enabled: false): it fails on every run and stops the run',
    ]);
  });
});
