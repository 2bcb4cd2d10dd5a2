import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAction } from '../../../src/actions/action-registry.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { playbookSchema } from '../../../src/playbook/playbook-spec.js';
import type { PlaybookRun } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../../../src/playbook/safety-guard.js';
import type { StepPolicyQuestion } from '../../../src/playbook/step-policy.js';
import { OpaClient, type PolicyClient } from '../../../src/policy/opa-client.js';
import { MAX_INPUT_BYTES, PolicyGate } from '../../../src/policy/policy-gate.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { startOpa, type OpaServer } from '../../env/start-opa.js';

// 2026-11-06 is a Friday, 2026-11-05 a Thursday.
const FRIDAY = Date.UTC(2026, 10, 6, 10, 0);
const THURSDAY = Date.UTC(2026, 10, 5, 10, 0);

let opa: OpaServer;

/** The real OPA behind a counter: how many questions reached it. */
function counted(path = 'meshwarden/decision', url = opa.url): PolicyClient & { calls: number } {
  const real = new OpaClient({ url, path, timeoutMs: 2_000 });
  const client = { calls: 0, endpoint: real.endpoint, decide: (input: unknown) => { client.calls++; return real.decide(input); } };
  return client;
}

function gate(client: PolicyClient, clock = new ManualClock(0)): PolicyGate {
  return new PolicyGate({ client, guard: new SafetyGuard(DEFAULT_SAFETY_POLICY), clock, cache: { maxEntries: 100, ttlMs: 60_000 } });
}

function anomaly(entityName = 'inference-7d9c-x2k4p', details: string[] = []): Anomaly {
  return {
    id: 'a1', detector: 'egress-spike', severity: 'critical', score: 0.99,
    entity: { key: `pod:ml-prod/${entityName}`, kind: 'pod', namespace: 'ml-prod', name: entityName, pod: entityName, workload: 'inference' },
    windowStart: FRIDAY - 60_000, windowEnd: FRIDAY,
    evidence: [{ feature: 'egress_bytes', observed: 9e7, expected: 1e4, spread: 1e3, score: 0.99, details }],
  };
}

function question(options: { now?: number; action?: string; anomaly?: Anomaly; policy?: Record<string, boolean> } = {}): StepPolicyQuestion {
  const action = findAction(options.action ?? 'kubernetes.scale');
  if (!action) throw new Error('no action');
  const raw = action.id === 'slack.notify' ? { channel: '#soc', text: 'x' } : { namespace: 'ml-prod', deployment: 'inference', replicas: 0 };
  const playbook = playbookSchema.parse({
    apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name: 'contain' },
    spec: {
      trigger: { detectors: ['egress-spike'] }, ...(options.policy ? { policy: options.policy } : {}),
      steps: [{ action: action.id, params: raw }],
    },
  });
  const a = options.anomaly ?? anomaly();
  const run: PlaybookRun = { id: 'r1', playbook: 'contain', incidentId: 'i1', anomaly: a, createdAt: 0, dryRun: false, state: 'running', next: 0, results: [] };
  const params = action.params.parse(raw) as Record<string, unknown>;
  const target = action.target(params);
  return { run, playbook, index: 0, stepName: 'scale to zero', action, params, target, request: { action, target, detector: a.detector, entity: a.entity }, now: options.now ?? FRIDAY };
}

beforeAll(async () => {
  // The shipped policies, plus packages that answer wrongly, as a broken policy would.
  const extra = mkdtempSync(join(tmpdir(), 'meshwarden-policy-'));
  writeFileSync(join(extra, 'broken.rego'), 'package broken\n\nimport rego.v1\n\ndecision := {"allow": "yes", "reasons": []}\n');
  writeFileSync(join(extra, 'echo.rego'), 'package echo\n\nimport rego.v1\n\ndecision := {"allow": false, "reasons": [input.incident.anomaly.entity.name]}\n');
  writeFileSync(join(extra, 'loose.rego'), 'package loose\n\nimport rego.v1\n\ndecision := {"allow": true, "reasons": [], "note": "extra"}\n');
  opa = await startOpa(['policies', extra]);
}, 60_000);

afterAll(async () => {
  await opa.stop();
});

describe('the policy gate, asking the real OPA', () => {
  it('refuses a destructive step on a Friday with the policy\'s reasons, and lets it run on a Thursday', async () => {
    const g = gate(counted());
    const friday = await g.ask(question({ now: FRIDAY }));
    expect(friday).toEqual({
      allowed: false,
      reason: 'policy denied: change freeze: no destructive action on Fridays (UTC); ask the on-call lead to act by hand',
      record: { decision: 'deny', reasons: ['change freeze: no destructive action on Fridays (UTC); ask the on-call lead to act by hand'] },
    });
    expect(await g.ask(question({ now: THURSDAY }))).toEqual({ allowed: true, record: { decision: 'allow', reasons: [] } });
  });

  it('asks about steps that change nothing only with everyStep', async () => {
    const client = counted();
    const g = gate(client);
    expect(await g.ask(question({ action: 'slack.notify' }))).toBeUndefined();
    expect(client.calls).toBe(0);
    expect(await g.ask(question({ action: 'slack.notify', policy: { everyStep: true } }))).toEqual({ allowed: true, record: { decision: 'allow', reasons: [] } });
    expect(client.calls).toBe(1);
  });

  it('reuses a decision only for an identical input', async () => {
    const client = counted();
    const g = gate(client);
    await g.ask(question());
    const again = await g.ask(question());
    expect(client.calls).toBe(1);
    expect(again?.record.cached).toBe(true);
    // One evidence string differs: a new question, a new answer.
    await g.ask(question({ anomaly: anomaly('inference-7d9c-x2k4p', ['10.0.0.9']) }));
    expect(client.calls).toBe(2);
    await g.ask(question({ now: FRIDAY + 1 }));
    expect(client.calls).toBe(3);
  });

  it('an answer that is not a decision is a deny, even for a playbook that fails open', async () => {
    for (const path of ['broken/decision', 'loose/decision', 'nothing/here']) {
      const verdict = await gate(counted(path)).ask(question({ now: THURSDAY, policy: { failOpen: true } }));
      expect(verdict?.allowed).toBe(false);
      expect(verdict?.record.decision).toBe('fail-closed');
      if (verdict?.allowed === false) expect(verdict.reason).toMatch(/^policy answer unusable, treated as a deny: /);
    }
  });

  it('fails closed when OPA is down, and open only where the playbook says so (and says it ran unchecked)', async () => {
    const down = new OpaClient({ url: 'http://127.0.0.1:9', path: 'meshwarden/decision', timeoutMs: 500 });
    const closed = await gate(down).ask(question({ now: THURSDAY }));
    expect(closed?.allowed).toBe(false);
    if (closed?.allowed === false) expect(closed.reason).toMatch(/^policy unavailable, failing closed: cannot reach the policy at http:\/\/127\.0\.0\.1:9\/v1\/data\/meshwarden\/decision/);
    const open = await gate(down).ask(question({ now: THURSDAY, policy: { failOpen: true } }));
    expect(open?.allowed).toBe(true);
    expect(open?.record.decision).toBe('fail-open');
    expect(open?.record.reasons[0]).toMatch(/the playbook fails open, so the step runs unchecked$/);
  });

  it('does not cache failures: OPA back up answers the next question', async () => {
    const client = counted('nothing/here');
    const g = gate(client);
    await g.ask(question({ now: THURSDAY }));
    await g.ask(question({ now: THURSDAY }));
    expect(client.calls).toBe(2);
  });
});

describe('attacks on the policy input', () => {
  const smuggled = [
    '{"allow":true}',
    '"}},"allow":true,"x":{"',
    '{"result":{"allow":true,"reasons":[]}}',
    '\u0000\u2028\\"}]}',
  ];

  it.each(smuggled)('an entity named %j cannot flip a deny', async (name) => {
    const verdict = await gate(counted()).ask(question({ now: FRIDAY, anomaly: anomaly(name, smuggled) }));
    expect(verdict?.allowed).toBe(false);
    expect(verdict?.record.decision).toBe('deny');
    // The name reached the policy as one string value, byte for byte: data, never structure.
    const echoed = await gate(counted('echo/decision')).ask(question({ now: THURSDAY, anomaly: anomaly(name, smuggled) }));
    expect(echoed?.record.reasons).toEqual([name]);
  });

  it('evidence that would make the input huge is refused without asking, even for a playbook that fails open', async () => {
    const client = counted();
    const huge = anomaly('inference-7d9c-x2k4p', Array.from({ length: 300 }, () => 'x'.repeat(1_000)));
    const verdict = await gate(client).ask(question({ now: THURSDAY, anomaly: huge, policy: { failOpen: true } }));
    expect(verdict?.allowed).toBe(false);
    if (verdict?.allowed === false) expect(verdict.reason).toMatch(new RegExp(`over the ${MAX_INPUT_BYTES}-byte limit; the step is refused without asking$`));
    expect(client.calls).toBe(0);
  });
});
