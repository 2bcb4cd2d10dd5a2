import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FileApprovalStore } from '../../../src/approvals/approval-store.js';
import type { ApprovalRecord } from '../../../src/approvals/approval-types.js';
import { meshwarden } from './spawn-cli.js';

// Every test spawns the CLI a few times, as a user would; on a busy machine each start takes seconds.
vi.setConfig({ testTimeout: 120_000 });

const T0 = Date.UTC(2026, 10, 2, 8, 0);
let state: string;
let incidentId: string;

/** Drift reports every 10 minutes for two hours, past the threshold from the fourth on. */
function driftReports(): string {
  return Array.from({ length: 12 }, (_, i) => JSON.stringify({
    schema: 'drift_metric.v1', ts: new Date(T0 + i * 600_000).toISOString(), model: { name: 'fraud-detector', version: 'v7', namespace: 'ml-prod' },
    tool: 'evidently', feature: 'amount', method: 'psi', statistic: i < 3 ? 0.01 : 0.6, threshold: 0.2, drift_detected: i >= 3,
  })).join('\n');
}

function approval(id: string, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id, idempotencyKey: `${id}/1`, incidentId, playbook: 'model-rollback', runId: 'run-1',
    policy: { channel: '#ml-oncall', approvers: { users: ['U0ALICE', 'U0BOB'], groups: [] }, required: 2, timeoutMs: 365 * 86_400_000, onTimeout: 'deny' },
    subjects: [{ action: 'kubernetes.rollback-deployment', params: { namespace: 'ml-prod', deployment: 'fraud-detector-predictor' }, target: { kind: 'Deployment', namespace: 'ml-prod', name: 'fraud-detector-predictor' } }],
    createdAt: Date.now(), expiresAt: Date.now() + 365 * 86_400_000, approvals: [],
    ...overrides,
  };
}

interface LedgerLine { type: string; data: Record<string, unknown> }
const ledger = (): LedgerLine[] => readFileSync(join(state, 'audit', 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerLine);

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-console-'));
  state = join(dir, 'state');
  // The shipped drift detector, and the shipped rollback playbook triggered by it alone.
  mkdirSync(join(dir, 'detectors'));
  mkdirSync(join(dir, 'playbooks'));
  writeFileSync(join(dir, 'detectors', 'feature-drift.yaml'), readFileSync('detectors/feature-drift.yaml'));
  writeFileSync(join(dir, 'playbooks', 'model-rollback.yaml'), readFileSync('playbooks/model-rollback.yaml', 'utf8').replace('[model-confidence-collapse, feature-drift, model-canary-regression]', '[feature-drift]'));
  const run = meshwarden(['run', '--input', '-', '--state', state, '--detectors', join(dir, 'detectors'), '--playbooks', join(dir, 'playbooks')], { input: driftReports() });
  expect(run.code).toBe(0);
  const incidents = JSON.parse(meshwarden(['incidents', 'list', '--state-dir', state, '-o', 'json']).stdout) as { id: string; actions: number }[];
  incidentId = incidents.find((i) => i.actions > 0)?.id ?? '';
  const store = new FileApprovalStore(state);
  await store.saveApproval(approval('ap-two-of-two'));
  await store.saveApproval(approval('ap-by-group', { policy: { channel: '#ml-oncall', approvers: { users: [], groups: ['S0MLONCALL'] }, required: 1, timeoutMs: 60_000, onTimeout: 'deny' } }));
}, 180_000);

describe('meshwarden incidents', () => {
  it('lists the incidents of a state directory, newest first, as text, JSON and YAML', () => {
    expect(incidentId).toMatch(/^[0-9a-f]{16}$/);
    const text = meshwarden(['incidents', 'list', '--state-dir', state]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+OPENED\s+ENTITY\s+DETECTORS\s+ANOMALIES\s+SCORE\s+ACTIONS$/);
    expect(lines.some((l) => l.startsWith(incidentId) && l.includes('model:ml-prod/fraud-detector@v7') && /\s3$/.test(l))).toBe(true);
    expect(meshwarden(['incidents', 'list', '--state-dir', state, '-o', 'yaml', '--limit', '1']).stdout).toMatch(/^- id: "[0-9a-f]{16}"\n/);
  });

  it('shows one incident; an unknown one is exit 2', () => {
    const shown = JSON.parse(meshwarden(['incidents', 'show', incidentId, '--state-dir', state, '-o', 'json']).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: incidentId, entity: 'model:ml-prod/fraud-detector@v7', detectors: ['feature-drift'], playbooks: ['model-rollback'], actions: 3, refusals: 0 });
    expect(meshwarden(['incidents', 'show', 'no-such-incident', '--state-dir', state])).toMatchObject({ code: 2, stderr: 'error: no incident no-such-incident\n' });
    expect(meshwarden(['incidents', 'list', '--state-dir', join(state, 'missing')])).toMatchObject({ code: 2, stderr: expect.stringContaining('does not exist') as unknown });
  });
});

describe('meshwarden audit show and export', () => {
  it('tells the incident\'s story in the order it was recorded: anomaly, opening, decisions, actions', () => {
    const story = JSON.parse(meshwarden(['audit', 'show', incidentId, '--state-dir', state, '-o', 'json']).stdout) as { entries: { seq: number; type: string; summary: string }[] };
    const types = story.entries.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['anomaly', 'incident']);
    expect(types.filter((t) => t === 'action')).toHaveLength(3);
    expect(story.entries.map((e) => e.seq)).toEqual([...story.entries.map((e) => e.seq)].sort((a, b) => a - b));
    expect(story.entries.find((e) => e.type === 'action' && e.summary.startsWith('kubernetes.rollback-deployment on Deployment ml-prod/fraud-detector-predictor: dry-run'))).toBeDefined();
    expect(meshwarden(['audit', 'show', 'nope', '--state-dir', state]).code).toBe(2);
  });

  it('exports every record as JSON lines identical to the ledger, and as CSV; --since filters', () => {
    const jsonl = meshwarden(['audit', 'export', '--state-dir', state, '--format', 'jsonl']);
    expect(jsonl.stdout).toBe(readFileSync(join(state, 'audit', 'ledger.jsonl'), 'utf8'));
    const csv = meshwarden(['audit', 'export', '--state-dir', state, '--format', 'csv']).stdout.trim().split('\n');
    expect(csv[0]).toBe('seq,recordedAt,type,event,incidentId,playbook,action,target,outcome,summary,hash,data');
    expect(csv).toHaveLength(ledger().length + 1);
    expect(meshwarden(['audit', 'export', '--state-dir', state, '--since', '2999-01-01T00:00:00Z']).stdout).toBe('');
    expect(meshwarden(['audit', 'export', '--state-dir', state, '--since', 'yesterday'])).toMatchObject({ code: 2, stderr: expect.stringContaining('neither a duration') as unknown });
  });
});

describe('meshwarden approvals, approve and deny on a state directory', () => {
  it('lists and shows approvals with what they gate and the binding', () => {
    const list = meshwarden(['approvals', 'list', '--state-dir', state]);
    expect(list.stdout).toMatch(/ap-two-of-two\s+pending\s+\S+\s+model-rollback\s+[0-9a-f]{16}\s+0\/2\s+kubernetes.rollback-deployment on Deployment ml-prod\/fraud-detector-predictor/);
    expect(meshwarden(['approvals', 'show', 'ap-two-of-two', '--state-dir', state]).stdout).toMatch(/^id: ap-two-of-two\nstate: pending\n[\s\S]*binding: [0-9a-f]{32}\n$/);
  });

  it('counts an allow-listed approver, refuses a second vote and a stranger, decides on the second approver, records each with the OS user', () => {
    const first = meshwarden(['approve', 'ap-two-of-two', '--as', 'U0ALICE', '--state-dir', state]);
    expect(first).toMatchObject({ code: 0, stdout: 'approving: kubernetes.rollback-deployment on Deployment ml-prod/fraud-detector-predictor\napproval ap-two-of-two: counted, 1 of 2 approvals\n' });
    expect(meshwarden(['approve', 'ap-two-of-two', '--as', 'U0ALICE', '--state-dir', state])).toMatchObject({ code: 1, stderr: 'refused (duplicate-approver): already approved; 2 distinct approvers are needed\n' });
    expect(meshwarden(['approve', 'ap-two-of-two', '--as', 'U0MALLORY', '--state-dir', state])).toMatchObject({ code: 1, stderr: 'refused (not-an-approver): U0MALLORY is not on the approver allow-list\n' });
    expect(meshwarden(['approve', 'ap-two-of-two', '--as', 'U0BOB', '--state-dir', state]).stdout).toContain('approval ap-two-of-two: approved (2 of 2 required approvals given (from the console, in the state directory))');
    expect(meshwarden(['deny', 'ap-two-of-two', '--as', 'U0BOB', '--state-dir', state])).toMatchObject({ code: 1, stderr: 'refused (already-decided): the approval was already approved\n' });
    const votes = ledger().filter((r) => r.data.event === 'console-vote').map((r) => [r.data.user, r.data.verdict, r.data.result, r.data.osUser, r.data.incidentId]);
    const os = userInfo().username;
    expect(votes).toEqual([
      ['U0ALICE', 'approve', 'counted (1 of 2)', os, incidentId], ['U0ALICE', 'approve', 'refused: duplicate-approver', os, incidentId],
      ['U0MALLORY', 'approve', 'refused: not-an-approver', os, incidentId], ['U0BOB', 'approve', 'approved', os, incidentId],
      ['U0BOB', 'deny', 'refused: already-decided', os, incidentId],
    ]);
    expect(JSON.parse(meshwarden(['approvals', 'show', 'ap-two-of-two', '--state-dir', state, '-o', 'json']).stdout)).toMatchObject({ state: 'approved', decision: { by: ['U0ALICE', 'U0BOB'] } });
    // The decisions extend the chain: the ledger is still intact.
    expect(meshwarden(['audit', 'verify', state]).code).toBe(0);
  });

  it('refuses an identity only a user group allows (groups need Slack), and usage errors are exit 2', () => {
    expect(meshwarden(['deny', 'ap-by-group', '--as', 'U0ALICE', '--state-dir', state])).toMatchObject({ code: 1, stderr: expect.stringContaining('refused (approver-check-failed): U0ALICE is not listed by name, and user groups (S0MLONCALL) can only be checked with Slack') as unknown });
    expect(meshwarden(['approve', 'ap-two-of-two', '--state-dir', state])).toMatchObject({ code: 2, stderr: expect.stringContaining('--as <slack-user-id> is required') as unknown });
    expect(meshwarden(['approve', 'ap-two-of-two', '--as', 'alice', '--state-dir', state])).toMatchObject({ code: 2, stderr: expect.stringContaining('is not a Slack user id') as unknown });
    expect(meshwarden(['approve', 'ap-nope', '--as', 'U0ALICE', '--state-dir', state])).toMatchObject({ code: 2, stderr: expect.stringContaining('no approval ap-nope') as unknown });
    expect(meshwarden(['approve', 'ap-two-of-two', '--server', 'http://meshwarden.example:8080', '--token-file', '/dev/null'])).toMatchObject({ code: 2, stderr: expect.stringContaining('plain HTTP to another machine') as unknown });
  });
});
