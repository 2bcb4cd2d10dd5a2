import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { formatProblem } from '../../../src/shared/errors.js';

const DIR = 'test/fixtures/config/client-target';

describe('check: a client-influenced value routed into a target', () => {
  it('reports a principal name in a Vault path, with file and line, and leaves the Slack text alone', async () => {
    const config = await loadConfig([`${DIR}/principal-picks-target.yaml`]);
    expect(config.problems.map(formatProblem)).toEqual([
      `${DIR}/principal-picks-target.yaml:14:15 path: "users/{{ entity.name }}/creds": "{{ entity.name }}" of a principal picks the target of vault.rotate-secret (parameter path), and a client chooses principal names; name the target literally, or restrict trigger.entityKinds to kinds other than principal`,
    ]);
  });

  it('reports a trigger open to every entity kind that routes entity.key into a pod name', async () => {
    const config = await loadConfig([`${DIR}/any-kind-picks-pod.yaml`]);
    expect(config.problems.map((p) => [p.line, p.path])).toEqual([[12, 'spec.steps[0].params.pod']]);
    expect(config.problems[0]?.message).toContain('"{{ entity.key }}" of a principal picks the target of kubernetes.quarantine-pod (parameter pod)');
  });

  it('reports a route\'s or a host\'s name routed into a target, and leaves their namespace and the Slack text alone', async () => {
    const config = await loadConfig([`${DIR}/route-picks-target.yaml`]);
    expect(config.problems.map(formatProblem)).toEqual([
      `${DIR}/route-picks-target.yaml:15:21 deployment: "{{ entity.name }}": "{{ entity.name }}" of a route, authority entity picks the target of kubernetes.restart-deployment (parameter deployment), and a client chooses those names; name the target literally, or restrict trigger.entityKinds to kinds other than route, authority`,
    ]);
  });
});
