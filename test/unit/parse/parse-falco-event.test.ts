import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_FIELD_CHARS } from '../../../src/parse/parse-falco-event.js';
import { parseMessage } from '../../../src/parse/parse-message.js';
import type { FalcoEventRecord, ParseOutcome } from '../../../src/parse/records.js';

const origin = { source: 'kafka:falco-events', position: 7 };

function fixture(name: string): string {
  return readFileSync(`test/fixtures/falco/${name}`, 'utf8').trim();
}

function falco(outcome: ParseOutcome): FalcoEventRecord {
  expect(outcome.deadLetters).toEqual([]);
  const [record] = outcome.records;
  if (record?.kind !== 'falco-event') throw new Error(`expected a Falco record, got ${record?.kind ?? 'nothing'}`);
  return record;
}

/** A Falco alert for `ml-prod/inference-7d9c8b6f5-x2k4p` with the given output fields on top. */
function alert(fields: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  return JSON.stringify({
    output: '10:00:00.000000000: Notice A shell was spawned in a container with an attached terminal',
    priority: 'Notice', rule: 'Terminal shell in container', time: '2026-11-02T10:00:00.123456789Z',
    output_fields: { 'k8s.ns.name': 'ml-prod', 'k8s.pod.name': 'inference-7d9c8b6f5-x2k4p', 'container.id': '788861c3cf83', 'proc.cmdline': 'sh -c id', ...fields },
    source: 'syscall', tags: ['shell'], hostname: 'node-1', ...top,
  });
}

describe('Falco alerts (golden lines)', () => {
  it('reads a Falco 0.28 line: rule, priority, time to the millisecond, the pod and container, the evidence fields', () => {
    const record = falco(parseMessage(fixture('terminal-shell-falco-0.28.json'), origin));
    expect(record).toMatchObject({
      kind: 'falco-event', envelope: 'raw', rule: 'Terminal shell in container', priority: 'notice',
      timestamp: Date.UTC(2021, 5, 13, 19, 35, 58, 532),
      pod: { namespace: 'default', name: 'alpine-deployment-77789455d6-m7flp' }, containerId: '788861c3cf83',
    });
    expect(record.fields).toMatchObject({ 'proc.cmdline': 'sh -c uptime', 'user.name': 'root', 'proc.pname': 'runc' });
    // evt.time and proc.tty are counted, not kept.
    expect(record.droppedFields).toBe(2);
  });

  it('reads a Falco 0.38 line of a container outside Kubernetes as an alert without a pod', () => {
    const record = falco(parseMessage(fixture('terminal-shell-falco-0.38-no-pod.json'), origin));
    expect(record.pod).toBeUndefined();
    expect(record).toMatchObject({ source: 'syscall', hostname: 'd53a40db2ded', tags: ['T1059', 'container', 'maturity_stable', 'mitre_execution', 'shell'] });
    expect(record.fields['proc.cmdline']).toBe('sh -lc echo "shell-in-container test"');
  });

  it('reads Falcosidekick\'s payload (with its uuid), raw or inside a Fluent Bit envelope of the Falco pod', () => {
    const line = fixture('falcosidekick-terminal-shell.json');
    expect(falco(parseMessage(line, origin)).pod).toEqual({ namespace: 'default', name: 'falco-daemonset-mjv2d' });
    const shipped = JSON.stringify({ log: line, kubernetes: { namespace_name: 'falco', pod_name: 'falco-x7k2q', labels: { app: 'falco' } } });
    const record = falco(parseMessage(shipped, origin));
    expect(record.envelope).toBe('fluent-bit');
    // The envelope names Falco's own pod: the alert stays on the pod Falco attributed it to.
    expect(record.pod).toEqual({ namespace: 'default', name: 'falco-daemonset-mjv2d' });
  });

  it('reads Falco\'s stdout merged into a Fluent Bit record (Merge_Log), ignoring the shipper\'s keys', () => {
    const merged = { ...(JSON.parse(alert()) as Record<string, unknown>), stream: 'stdout', kubernetes: { namespace_name: 'falco', pod_name: 'falco-x7k2q' } };
    expect(falco(parseMessage(JSON.stringify(merged), origin)).pod).toEqual({ namespace: 'ml-prod', name: 'inference-7d9c8b6f5-x2k4p' });
  });
});

describe('Falco alerts that are malformed are dead-lettered with the reason', () => {
  it.each([
    ['an unknown priority', alert({}, { priority: 'Severe' }), "'priority'"],
    ['a time that is not RFC 3339', alert({}, { time: 'yesterday' }), "'time': not an RFC 3339 timestamp"],
    ['a key Falco never writes', alert({}, { verdict: 'benign' }), "unknown key 'verdict'"],
    ['output_fields that is not an object', alert({}, { output_fields: 'k8s.pod.name=x' }), "'output_fields'"],
    ['an empty rule', alert({}, { rule: '' }), "'rule'"],
  ])('%s', (_what, line, reason) => {
    const outcome = parseMessage(line, origin);
    expect(outcome.records).toEqual([]);
    expect(outcome.deadLetters).toHaveLength(1);
    expect(outcome.deadLetters[0]?.code).toBe('schema-violation');
    expect(outcome.deadLetters[0]?.reason).toContain('falco: ');
    expect(outcome.deadLetters[0]?.reason).toContain(reason);
  });
});

describe('Falco alerts, read as the attacker in the container would write them', () => {
  it('never takes a pod from the output text or from a field the process controls', () => {
    const line = alert({ 'proc.cmdline': 'sh -c "k8s.pod.name=vault-0 k8s.ns.name=vault"', 'fd.name': '/tmp/k8s.ns.name=vault' }, {
      output: 'Notice shell (k8s.ns=vault k8s.pod=vault-0) k8s.ns=vault k8s.pod=vault-0',
    });
    const record = falco(parseMessage(line, origin));
    expect(record.pod).toEqual({ namespace: 'ml-prod', name: 'inference-7d9c8b6f5-x2k4p' });
  });

  it('leaves the alert without a pod when the pod field is not a Kubernetes name', () => {
    for (const pod of ['../vault-0', 'vault-0\nk8s.pod.name=x', 'VAULT', 'a'.repeat(300), '']) {
      expect(falco(parseMessage(alert({ 'k8s.pod.name': pod }), origin)).pod).toBeUndefined();
    }
    expect(falco(parseMessage(alert({ 'k8s.ns.name': ['ml-prod', 'vault'] }), origin)).pod).toBeUndefined();
  });

  it('caps a huge command line and escapes control characters and bidi overrides', () => {
    const record = falco(parseMessage(alert({ 'proc.cmdline': `curl ${'A'.repeat(500_000)}`, 'user.name': 'root\u001b[2J\u202eevil\nok' }), origin));
    const cmdline = record.fields['proc.cmdline'] ?? '';
    expect(cmdline.length).toBeLessThan(MAX_FIELD_CHARS + 40);
    expect(cmdline).toContain('more characters');
    expect(record.fields['user.name']).toBe('root\\x1b[2J\\u{202e}evil\\x0aok');
    for (const value of Object.values(record.fields)) {
      for (let i = 0; i < value.length; i++) expect(value.charCodeAt(i) < 0x20 || value.charCodeAt(i) === 0x202e).toBe(false);
    }
  });

  it('dead-letters an alert carrying more output fields than any rule emits', () => {
    const fields = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x.f${i}`, i]));
    const outcome = parseMessage(alert(fields), origin);
    expect(outcome.deadLetters[0]?.reason).toContain('at most 256 output fields');
  });
});
