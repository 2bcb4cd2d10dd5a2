import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function meshwarden(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['bin/meshwarden.js', ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const SAMPLE = [
  '{"@timestamp":1762070400.1,"log":"[2026-11-02T08:00:00.100Z] \\"GET /api/v1/score HTTP/1.1\\" 200 - via_upstream - \\"-\\" 120 800 12 11 \\"-\\" \\"sdk/1.0\\" \\"5f1a9c2e-0000-4000-8000-000000000001\\" \\"inference:8080\\" \\"10.42.2.10:8080\\" inbound|8080|| 127.0.0.6:40001 10.42.2.10:8080 10.42.1.5:51000 outbound_.8080_._.inference.ml-prod.svc.cluster.local default","kubernetes":{"pod_name":"inference-7d9c8b6f5-x2k4p","namespace_name":"ml-prod","container_name":"istio-proxy","labels":{"app":"inference"}}}',
  'this is not a log line',
  '{"schema":"model_telemetry.v1","ts":"2026-11-02T08:00:30Z","kind":"interval","window_s":60,"model":{"name":"fraud-detector","version":"v3","namespace":"ml-prod"},"prediction":{"confidence":0.91}}',
].join('\n');

describe('meshwarden CLI', () => {
  it('check exits 0 on the shipped detectors and playbooks', () => {
    const { code, stdout } = meshwarden(['check', 'detectors', 'playbooks']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ok: \d+ detector\(s\), \d+ playbook\(s\)/);
  });

  it('check exits 1 and prints every problem as file:line:col message', () => {
    const { code, stdout } = meshwarden(['check', 'detectors', 'test/fixtures/config/bad']);
    expect(code).toBe(1);
    expect(stdout.trim()).toBe(readFileSync('test/fixtures/config/bad/expected-output.txt', 'utf8').trim());
  });

  it('test passes the shipped playbook tests and exits 0', () => {
    const { code, stdout } = meshwarden(['test', 'playbooks/tests']);
    expect(code).toBe(0);
    const files = readdirSync('playbooks/tests').filter((f) => f.endsWith('.yaml')).length;
    expect(files).toBeGreaterThanOrEqual(6);
    expect(stdout).toMatch(new RegExp(`\\n\\d+ case\\(s\\) in ${files} file\\(s\\): \\d+ passed, 0 failed\\n$`));
  });

  it('test exits 1 with a diff when a case fails, and 2 when no test file is given', () => {
    const failing = meshwarden(['test', 'test/fixtures/playbook-tests/failing.yaml']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('  FAIL expects the wrong pod and no Slack message (test/fixtures/playbook-tests/failing.yaml:9)\n');
    expect(failing.stdout).toContain('2 case(s) in 1 file(s): 1 passed, 1 failed\n');
    const none = meshwarden(['test', 'detectors/egress-spike.yaml']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no PlaybookTest document in detectors/egress-spike.yaml');
  });

  it('run reads stdin, dead-letters what it cannot parse with the reason, and writes the JSON report', () => {
    const state = mkdtempSync(join(tmpdir(), 'meshwarden-cli-'));
    const report = join(state, 'report.json');
    const { code, stdout } = meshwarden(['run', '--input', '-', '--state', state, '--dry-run', '--report', report], SAMPLE);
    expect(code).toBe(0);
    expect(stdout).toContain('read 3 messages, 3 records: 2 parsed, 1 dead-lettered');
    const json = JSON.parse(readFileSync(report, 'utf8')) as { records: number; parsed: number; deadLettered: number; anomalies: unknown[]; actions: unknown[] };
    expect(json).toMatchObject({ records: 3, parsed: 2, deadLettered: 1, anomalies: [], actions: [] });
    const letters = readFileSync(join(state, 'dead-letters.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { raw: string; position: number; reason: string });
    expect(letters).toEqual([expect.objectContaining({ raw: 'this is not a log line', position: 2 })]);
    expect(letters[0]?.reason.length).toBeGreaterThan(10);
  });

  it('run refuses live actions on one machine, with a clear message', () => {
    const { code, stderr } = meshwarden(['run', '--input', '-', '--no-dry-run'], SAMPLE);
    expect(code).toBe(2);
    expect(stderr).toContain('dry-run only');
  });

  it('serve lists every problem of its configuration with file, line and column, and exits 2 without a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwarden-cli-'));
    const config = join(dir, 'service.yaml');
    writeFileSync(config, 'apiVersion: meshwarden.io/v1\nkind: ServiceConfig\ncoordination:\n  holdAtLeast: soon\nkafka:\n  brokers: [localhost:9092]\n  sessionTimeout: 5s\n  heartbeatInterval: 10s\nslack:\n  releasers: { users: [U0ALICE, bob] }\n');
    const { code, stderr } = meshwarden(['serve', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `3 configuration problem(s):\n${config}:8:22 heartbeatInterval: "10s": heartbeatInterval must be shorter than sessionTimeout\n` +
        `${config}:4:16 holdAtLeast: "soon": not a duration; write a number and a unit, e.g. "30s", "5m", "2h", "1d"\n` +
        `${config}:10:33 users[1]: "bob": a Slack user id, e.g. U012ABCDEF\n`,
    );
  });

  it('run names a missing input file', () => {
    const { code, stderr } = meshwarden(['run', '--input', 'no/such/file.ndjson', '--state', mkdtempSync(join(tmpdir(), 'meshwarden-cli-'))]);
    expect(code).toBe(2);
    expect(stderr).toContain('cannot read no/such/file.ndjson');
  });

  it('audit verify passes an intact ledger and names the first tampered record', () => {
    const state = mkdtempSync(join(tmpdir(), 'meshwarden-cli-'));
    expect(meshwarden(['run', '--input', '-', '--state', state], SAMPLE).code).toBe(0);
    const ok = meshwarden(['audit', 'verify', state]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: 2 record\(s\), chain intact/);
    const ledger = join(state, 'audit', 'ledger.jsonl');
    writeFileSync(ledger, readFileSync(ledger, 'utf8').replace('"started"', '"begun"'));
    const bad = meshwarden(['audit', 'verify', state]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('TAMPERED: record at line 1 (seq 1): content does not match its hash');
  });
});
