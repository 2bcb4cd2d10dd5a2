import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/config/check-config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { checkJson, checkNote, checkSarif, checkText } from '../../../src/cli/check-output.js';
import { formatProblem } from '../../../src/shared/errors.js';

const BAD = 'test/fixtures/config/bad';

describe('meshwarden check', () => {
  it('checks playbooks against the shipped detectors when the files hold none, and says so', async () => {
    const result = await checkConfig([`${BAD}/unknown-detector.yaml`]);
    expect(result.reference).toEqual({ dir: 'detectors', detectors: expect.arrayContaining(['egress-spike', 'auth-failure-storm']) as string[] });
    expect(result.problems.map(formatProblem)).toEqual([`${BAD}/unknown-detector.yaml:7:17 no detector is named "egres-spike"; did you mean "egress-spike"?`]);
    expect(checkNote(result)).toBe('note: no detector among the files; playbooks checked against the 15 detector(s) in detectors\n');
    expect(checkText(result)).toBe(`${BAD}/unknown-detector.yaml:7:17 no detector is named "egres-spike"; did you mean "egress-spike"?\n1 problem(s) in 1 file(s)\n`);
  });

  it('checks against the detectors given with --detectors instead', async () => {
    const result = await checkConfig([`${BAD}/unknown-detector.yaml`], `${BAD}/duplicate-a.yaml`);
    expect(result.reference).toEqual({ dir: `${BAD}/duplicate-a.yaml`, detectors: ['egress-spike'] });
  });

  it('reports the never-firing triggers of playbooks checked alone, against the reference detectors', async () => {
    const result = await checkConfig([`${BAD}/never-fires.yaml`]);
    expect(result.problems.map((p) => p.rule)).toEqual(['never-fires', 'never-fires', 'never-fires']);
  });

  it('a playbook with a schema problem still has its detectors checked', async () => {
    const config = await loadConfig(['detectors', `${BAD}/bad-templates.yaml`]);
    expect(config.playbooks).toEqual([]);
    expect(config.problems.filter((p) => p.rule === 'unknown-reference').map(formatProblem)).toEqual([
      `${BAD}/bad-templates.yaml:9:17 no detector is named "egress-spikes"; did you mean "egress-spike"?`,
    ]);
  });

  it('does not call a detector unknown because its own file has a schema problem', async () => {
    const config = await loadConfig([`${BAD}/bad-detector.yaml`, 'playbooks']);
    expect(config.detectors).toEqual([]);
    expect(config.problems.filter((p) => p.rule === 'unknown-reference').map((p) => p.message)).not.toContainEqual(expect.stringContaining('"bad-detector"'));
  });

  it('judges protected targets against the namespaces of a service config checked with the playbooks', async () => {
    const result = await checkConfig(['detectors', `${BAD}/protected-target.yaml`]);
    expect(result.problems.map((p) => p.rule)).toEqual(['protected-target']);
  });

  it('writes JSON with every problem, its rule and what was checked', async () => {
    const json = JSON.parse(checkJson(await checkConfig(['detectors', `${BAD}/never-fires.yaml`, `${BAD}/syntax.yaml`]))) as Record<string, unknown>;
    expect(json).toMatchObject({ ok: false, detectors: 15, playbooks: 1, files: 17 });
    expect(json.problems).toEqual(expect.arrayContaining([
      expect.objectContaining({ file: `${BAD}/syntax.yaml`, line: 5, col: 1, rule: 'schema' }),
      expect.objectContaining({ file: `${BAD}/never-fires.yaml`, line: 8, col: 17, rule: 'never-fires', path: 'spec.trigger.detectors[0]' }),
    ]));
  });

  it('writes SARIF 2.1.0 that names each rule and places each result on its line', async () => {
    const sarif = JSON.parse(checkSarif(await checkConfig(['detectors', `${BAD}/protected-target.yaml`, `${BAD}/empty.yaml`]), '0.1.0')) as {
      version: string; runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number; startColumn: number } } }[] }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run?.tool.driver.rules.map((r) => r.id)).toEqual(['schema', 'unknown-reference', 'duplicate-name', 'never-fires', 'protected-target']);
    expect(run?.results).toEqual([
      { ruleId: 'schema', level: 'error', message: { text: 'the file holds no YAML document; add one or delete the file' }, locations: [{ physicalLocation: { artifactLocation: { uri: `${BAD}/empty.yaml` }, region: { startLine: 1, startColumn: 1 } } }] },
      expect.objectContaining({ ruleId: 'protected-target', locations: [{ physicalLocation: { artifactLocation: { uri: `${BAD}/protected-target.yaml` }, region: { startLine: 12, startColumn: 20 } } }] }),
    ]);
  });

  it('accepts the shipped detectors, playbooks and playbook tests without a problem', async () => {
    const result = await checkConfig(['detectors', 'playbooks']);
    expect(result.problems).toEqual([]);
    expect(checkText(result)).toBe('ok: 15 detector(s), 7 playbook(s), 8 playbook test(s) in 30 file(s)\n');
  });
});
