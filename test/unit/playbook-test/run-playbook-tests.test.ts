import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { loadYamlDocuments } from '../../../src/config/yaml-document.js';
import { formatResults } from '../../../src/cli/test-command.js';
import { playbookTestSchema } from '../../../src/playbook-test/playbook-test-spec.js';
import { runPlaybookTests } from '../../../src/playbook-test/run-playbook-tests.js';
import { MAX_CASE_RECORDS } from '../../../src/playbook-test/run-test-case.js';
import { formatProblem } from '../../../src/shared/errors.js';

const FIXTURES = 'test/fixtures/playbook-tests';

async function shipped() {
  const config = await loadConfig(['detectors', 'playbooks']);
  expect(config.problems).toEqual([]);
  return { config, engine: { detectors: config.detectors.map((d) => d.value), playbooks: config.playbooks.map((p) => p.value) } };
}

function testDoc(yaml: string) {
  const result = loadYamlDocuments('inline.yaml', yaml, playbookTestSchema);
  expect(result.problems).toEqual([]);
  return result.documents;
}

const ATTACK = (count: number): string => `
apiVersion: meshwarden.io/v1
kind: PlaybookTest
metadata: { name: inline }
spec:
  playbooks: [rotate-credentials-on-stuffing]
  playbookVars:
    rotate-credentials-on-stuffing: { authNamespace: ml-prod, sessionSecretPath: ml-prod/auth/session }
  tests:
    - name: refused logins
      input:
        records:
          - line: '{"log":"[{{ time }}] \\"POST /login HTTP/1.1\\" 401 - via_upstream - \\"-\\" 120 40 5 4 \\"-\\" \\"curl/8.5\\" \\"r-1\\" \\"shop.example.com\\" \\"10.42.3.20:8080\\" outbound|8080||auth.ml-prod.svc.cluster.local 10.42.0.9:52000 10.42.0.9:8443 203.0.113.7:40001 - -","kubernetes":{"namespace_name":"istio-system","pod_name":"istio-ingressgateway-6f9d8b7c5-abcde","labels":{"app":"istio-ingressgateway"}}}'
            at: 2026-11-02T08:10:00Z
            every: 1s
            count: ${count}
      expect:
        actions: []
`;

describe('playbook tests', () => {
  it('every shipped playbook has a test under playbooks/tests/, and every shipped test passes', async () => {
    const { config, engine } = await shipped();
    const tested = new Set(config.tests.flatMap((t) => t.value.spec.playbooks));
    const untested = config.playbooks.map((p) => p.value.metadata.name).filter((name) => !tested.has(name));
    expect(untested).toEqual([]);
    expect((await readdir('playbooks/tests')).length).toBe(config.tests.length);
    const run = runPlaybookTests(config.tests, engine);
    expect(run.problems).toEqual([]);
    expect(run.results.filter((r) => !r.passed).map((r) => [r.name, ...r.details])).toEqual([]);
    expect(run.results.length).toBeGreaterThanOrEqual(config.playbooks.length);
  });

  it('prints a failing case as a diff: what was expected and not seen, what was seen and not expected, and what the playbooks did', async () => {
    const { engine } = await shipped();
    const tests = await loadConfig([`${FIXTURES}/failing.yaml`]);
    const run = runPlaybookTests(tests.tests, engine);
    expect(run.results.map((r) => r.passed)).toEqual([false, true]);
    expect(formatResults(run.results)).toEqual([
      `${FIXTURES}/failing.yaml`,
      `  FAIL expects the wrong pod and no Slack message (${FIXTURES}/failing.yaml:9)`,
      '    actions: - expected, not seen; + seen, not expected',
      '      - { step: "isolate the pod", target: "Pod ml-prod/inference-7d9c8b6f5-zzzzz", outcome: "dry-run" }',
      '      + { playbook: "quarantine-on-exfiltration", step: "isolate the pod", action: "kubernetes.quarantine-pod", target: "Pod ml-prod/inference-7d9c8b6f5-x2k4p", outcome: "dry-run" }',
      '      + { playbook: "quarantine-on-exfiltration", step: "tell the SOC", action: "slack.notify", target: "SlackChannel #soc-alerts", outcome: "dry-run" }',
      '    what the playbooks did:',
      expect.stringMatching(/^ {6}quarantine-on-exfiltration \/ isolate the pod: kubernetes.quarantine-pod Pod ml-prod\/inference-7d9c8b6f5-x2k4p: dry-run: would label/),
      expect.stringMatching(/^ {6}quarantine-on-exfiltration \/ tell the SOC: slack.notify SlackChannel #soc-alerts: dry-run: would post/),
      '  PASS passes',
    ]);
  });

  it('names the playbooks and detectors a test file names that do not exist, with the line and a suggestion', async () => {
    const { engine } = await shipped();
    const tests = await loadConfig([`${FIXTURES}/unknown-names.yaml`]);
    const run = runPlaybookTests(tests.tests, engine);
    expect(run.problems.map(formatProblem)).toEqual([
      `${FIXTURES}/unknown-names.yaml:6:15 no playbook is named "quarantine-on-exfiltraton"; did you mean "quarantine-on-exfiltration"?`,
      `${FIXTURES}/unknown-names.yaml:7:15 no detector is named "egres-spike"; did you mean "egress-spike"?`,
    ]);
    expect(run.results).toEqual([]);
  });

  it('scores generated records with the real detectors: 60 refused logins in a minute fire, 5 do not', async () => {
    const { engine } = await shipped();
    const storm = runPlaybookTests(testDoc(ATTACK(60)), engine).results[0];
    expect(storm?.passed).toBe(false);
    expect(storm?.details).toContain('    + { playbook: "rotate-credentials-on-stuffing", step: "restart auth", action: "kubernetes.restart-deployment", target: "Deployment ml-prod/auth", outcome: "dry-run" }');
    expect(runPlaybookTests(testDoc(ATTACK(5)), engine).results[0]?.passed).toBe(true);
  });

  it('fails a case whose records the engine cannot parse, quoting the reason', async () => {
    const { engine } = await shipped();
    const doc = testDoc(ATTACK(1).replace(/line: '.*'/, "line: 'not a log line at {{ time }}'"));
    const result = runPlaybookTests(doc, engine).results[0];
    expect(result?.passed).toBe(false);
    expect(result?.details[0]).toBe('  input records the engine could not use (dead-lettered):');
    expect(result?.details[1]).toMatch(/^ {4}record 1: /);
  });

  it(`refuses a case generating more than ${MAX_CASE_RECORDS} records before generating any`, async () => {
    const { engine } = await shipped();
    const doc = testDoc(ATTACK(100_000).replace(/( {10}- line: '.*'\n.*\n.*\n.*\n)/, '$1$1$1'));
    const result = runPlaybookTests(doc, engine).results[0];
    expect(result?.details).toEqual([`  the case generates 300,000 records; a case may generate at most ${MAX_CASE_RECORDS.toLocaleString('en-US')}, lower the counts`]);
  });

  it('refuses records for an autoencoder detector, which has no trained model in a test', async () => {
    const { engine } = await shipped();
    const doc = testDoc(ATTACK(1).replace('[rotate-credentials-on-stuffing]', '[notify-on-multivariate-anomaly]').replace(/ {2}playbookVars:\n.*\n/, ''));
    expect(runPlaybookTests(doc, engine).results[0]?.details[0]).toMatch(/records cannot be scored by mesh-autoencoder/);
  });

  it('reports a test that expects nothing, which could never fail', () => {
    const result = loadYamlDocuments('inline.yaml', ATTACK(1).replace('actions: []', '{}'), playbookTestSchema);
    expect(result.problems.map((p) => p.message)).toEqual([expect.stringContaining('expect nothing is a test that cannot fail')]);
  });
});
