import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/config/check-config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { formatProblem } from '../../../src/shared/errors.js';

const BAD = 'test/fixtures/config/bad';

describe('configuration problems', () => {
  it('reports every problem of every bad fixture with file, line, column, the quoted value and the fix', async () => {
    const config = await checkConfig(['detectors', BAD]);
    const expected = (await readFile(`${BAD}/expected-output.txt`, 'utf8')).trim().split('\n');
    const lines = config.problems.map(formatProblem);
    expect([...lines, `${lines.length} problem(s) in ${new Set(config.problems.map((p) => p.file)).size} file(s)`]).toEqual(expected);
  });

  it.each([
    ['unknown-key.yaml', '6:3 unknown key "trigerr" in spec; did you mean "trigger"?'],
    ['unknown-action.yaml', '9:15 action: "kubernetes.quarantine-pods" is not known; use one of kubernetes.quarantine-pod'],
    ['unknown-detector.yaml', '7:17 no detector is named "egres-spike"; did you mean "egress-spike"?'],
    ['template-kind.yaml', '"{{ entity.pod }}" is empty for workload entities; restrict trigger.entityKinds to [pod]'],
    ['bad-params.yaml', 'for: "5 minutes": not a duration; write a number and a unit'],
    ['bad-detector.yaml', 'entity: "node" is not allowed; use one of "workload", "pod", "principal", "model", "route", "authority" (did you mean "pod"?)'],
    ['syntax.yaml', 'YAML syntax:'],
    ['alias-bomb.yaml', '9:16 the document expands to more than 20,000 values through aliases'],
    ['cyclic-alias.yaml', '6:11 alias *meta refers to a node that contains it (a cycle)'],
    ['too-deep.yaml', '5:70 YAML nesting is deeper than 64 levels; flatten the document'],
    ['bad-templates.yaml', '13:40 text: "{{ entity.pod | upper }}": "{{ entity.pod | upper }}" uses a filter; templates have none, write "{{ entity.pod }}"'],
    ['bad-templates.yaml', '15:40 text: "pod {{ entity.pod": "{{ entity.pod" is not closed; write "{{ name }}" with both braces'],
    ['bad-templates.yaml', '17:40 text: "{{entity_pod}}": "{{entity_pod}}" is not a variable name (words are joined by dots); write "{{ entity.pod }}"'],
    ['bad-templates.yaml', '9:17 no detector is named "egress-spikes"; did you mean "egress-spike"?'],
    ['empty.yaml', '1:1 the file holds no YAML document; add one or delete the file'],
    ['never-fires.yaml', '8:17 playbook "never-fires" never runs on egress-spike: the detector watches pod entities and trigger.entityKinds is [workload]; add pod or name another detector'],
    ['never-fires.yaml', '8:17 playbook "never-fires" never runs on egress-spike: the detector raises only critical anomalies and trigger.severities is [low, medium]; add critical or drop trigger.severities'],
    ['never-fires.yaml', '8:17 playbook "never-fires" never runs on egress-spike: a condition needs feature ratio_5xx, which the detector never reports (it reports egress_bytes)'],
    ['protected-target.yaml', '12:20 namespace: "kube-system" is a protected namespace'],
    ['service.yaml', '3:17 stateRetention: "a week": not a duration'],
  ])('explains %s', async (file, message) => {
    const config = await checkConfig(['detectors', `${BAD}/${file}`]);
    expect(config.problems.map(formatProblem).some((line) => line.startsWith(`${BAD}/${file}:`) && line.includes(message))).toBe(true);
  });

  it('accepts the shipped detectors and playbooks without a single problem', async () => {
    const config = await loadConfig(['detectors', 'playbooks']);
    expect(config.problems).toEqual([]);
    expect(config.detectors.length).toBeGreaterThan(0);
    expect(config.playbooks.length).toBeGreaterThan(0);
  });
});
