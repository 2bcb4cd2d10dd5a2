import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../../src/app.js';
import { Ledger, type LedgerRecord } from '../../../src/audit/ledger.js';
import { CaseIndex } from '../../../src/console/case-index.js';
import { caseStory } from '../../../src/console/case-story.js';
import { casesResource } from '../../../src/console/cases-resource.js';
import { consoleRoutes } from '../../../src/server/console-routes.js';
import { createHttpServer } from '../../../src/server/http-server.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { Secret } from '../../../src/shared/secret.js';
import { meshwarden } from '../cli/spawn-cli.js';
import { caseAnomalies, loadWithPlaybook, NOTIFY_PLAYBOOK, T0 } from '../helpers/case-story.js';

// The CLI is spawned as a user runs it; on a busy machine each start takes seconds.
vi.setConfig({ testTimeout: 120_000 });

const TOKEN = 'cases-console-token-0123456789abcdef0123456789';
let state: string;
let server: Server;
let url: string;
let tokenFile: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-cases-'));
  state = join(dir, 'state');
  const ledger = await Ledger.open(join(state, 'audit'), new ManualClock(T0));
  const { detectors, playbooks } = await loadWithPlaybook(NOTIFY_PLAYBOOK);
  const pipeline = new Pipeline(detectors, playbooks, DEFAULT_PIPELINE_OPTIONS, { deadLetters: { add: () => undefined }, ledger });
  for (const anomaly of caseAnomalies()) pipeline.inject(anomaly);
  pipeline.finish();
  await pipeline.drain();
  await ledger.flush();
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  server = createHttpServer(consoleRoutes({
    stateDir: state, tokens: [{ name: 'alice-laptop', user: 'U0ALICE', secret: new Secret(TOKEN) }],
    record: () => undefined, canRecord: () => true, logger: silentLogger(),
  }), silentLogger());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The CLI's stdout, from a process that does not block this one. */
function meshwardenAsync(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/meshwarden.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString('utf8'); });
    child.once('error', reject);
    child.once('exit', (code) => { if (code === 0) resolve(out); else reject(new Error(`exit ${String(code)}: ${err}`)); });
  });
}

describe('cases in the console', () => {
  it('folds the ledger into one case per group of related incidents, with its root, incidents, detectors and actions', async () => {
    const { items, notes } = await casesResource.list(state, { limit: 50 });
    expect(notes).toEqual([]);
    expect(items.map((c) => [c.root, c.state, c.incidents.length, c.detectors, c.actions])).toEqual([
      ['workload:payments/billing', 'resolved', 1, ['error-storm'], 1],
      ['workload:ml-prod/frontend', 'resolved', 2, ['error-storm', 'new-callee-edges'], 2],
    ]);
    const frontend = items[1];
    expect(frontend?.entities).toEqual(['workload:ml-prod/frontend', 'pod:ml-prod/frontend-7d9c8b6f5-x2k4p']);
    expect(frontend?.id).toMatch(/^[0-9a-f]{16}$/);
    await expect(casesResource.show(state, frontend?.id ?? '')).resolves.toEqual(frontend);
  });

  it('tells a case\'s whole story: both incidents\' records and the case\'s own, nothing of another case', async () => {
    const [billing, frontend] = (await casesResource.list(state, { limit: 50 })).items;
    const story = await caseStory(join(state, 'audit', 'ledger.jsonl'), frontend?.id ?? '');
    const entries = story?.entries ?? [];
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((a, b) => a - b));
    expect(entries.filter((e) => e.type === 'case').map((e) => e.summary)).toEqual([
      `case ${frontend?.id ?? ''} opened: root workload:ml-prod/frontend, 1 incident(s)`,
      `case ${frontend?.id ?? ''} resolved: root workload:ml-prod/frontend, 2 incident(s)`,
    ]);
    expect(entries.filter((e) => e.type === 'anomaly')).toHaveLength(4);
    expect(entries.filter((e) => e.type === 'action').map((e) => e.summary.split(':')[0])).toEqual(['slack.notify on SlackChannel #soc-alerts', 'slack.notify on SlackChannel #soc-alerts']);
    expect(JSON.stringify(entries)).not.toContain('payments/billing');
    expect(billing?.incidents).toHaveLength(1);
  });

  it('follows a merge: the absorbed case names the case it went into, whose story and counts take it in', () => {
    const index = new CaseIndex();
    let seq = 0;
    const record = (type: LedgerRecord['type'], data: unknown): void => {
      seq++;
      index.observe({ seq, recordedAt: new Date(T0 + seq).toISOString(), type, data, prev: '', hash: '' });
    };
    const summary = (id: string, incidents: string[]): Record<string, unknown> => ({ id, root: 'workload:ml-prod/feature-store', openedAt: new Date(T0).toISOString(), lastSeen: new Date(T0).toISOString(), incidents, entities: [], detectors: ['error-storm'], anomalies: incidents.length, maxScore: 0.9 });
    record('incident', { event: 'opened', id: 'i1', entity: 'workload:ml-prod/frontend', openedAt: T0, caseId: 'c1', caseRoot: 'workload:ml-prod/frontend' });
    record('case', { event: 'opened', ...summary('c1', ['i1']) });
    record('incident', { event: 'opened', id: 'i2', entity: 'workload:ml-prod/feature-store', openedAt: T0, caseId: 'c2', caseRoot: 'workload:ml-prod/feature-store' });
    record('case', { event: 'opened', ...summary('c2', ['i2']) });
    record('incident', { event: 'opened', id: 'i3', entity: 'workload:ml-prod/inference', openedAt: T0, caseId: 'c1', caseRoot: 'workload:ml-prod/feature-store' });
    record('case', { event: 'merged', ...summary('c1', ['i1', 'i2', 'i3']), mergedFrom: ['c2'] });
    record('action', { incidentId: 'i2', action: 'slack.notify', outcome: 'dry-run' });
    record('refusal', { incidentId: 'i3', action: 'kubernetes.quarantine-pod', outcome: 'refused' });
    expect(index.get('c2')).toMatchObject({ state: 'merged', mergedInto: 'c1' });
    expect(index.get('c1')).toMatchObject({ state: 'open', root: 'workload:ml-prod/feature-store', incidents: ['i1', 'i3', 'i2'], mergedFrom: ['c2'], actions: 1, refusals: 1 });
    expect(index.caseOf('i2')).toBe('c1');
  });
});

describe('meshwarden cases and audit show <case-id>', () => {
  it('lists and shows cases from a state directory as text, JSON and YAML, and from the service', async () => {
    const [, frontend] = (await casesResource.list(state, { limit: 50 })).items;
    const id = frontend?.id ?? '';
    const text = meshwarden(['cases', 'list', '--state-dir', state]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+OPENED\s+ROOT\s+INCIDENTS\s+DETECTORS\s+ANOMALIES\s+SCORE\s+ACTIONS$/);
    expect(lines.find((l) => l.startsWith(id))).toMatch(/resolved\s+\S+\s+workload:ml-prod\/frontend\s+2\s+error-storm,new-callee-edges\s+4\s+0\.970\s+2$/);
    expect(meshwarden(['cases', 'list', '--state-dir', state, '-o', 'yaml', '--limit', '1']).stdout).toMatch(/^- id: "[0-9a-f]{16}"\n/);
    const shown = meshwarden(['cases', 'show', id, '--state-dir', state]);
    expect(shown.stdout).toContain('root: workload:ml-prod/frontend\n');
    expect(shown.stdout).toContain(`ledger: records ${frontend?.firstSeq ?? 0}-${frontend?.lastSeq ?? 0} (meshwarden audit show ${id})`);
    expect(meshwarden(['cases', 'show', 'no-such-case', '--state-dir', state])).toMatchObject({ code: 2, stderr: 'error: no case no-such-case\n' });
    // Spawned without blocking: the service answering it runs in this process.
    const remote = JSON.parse(await meshwardenAsync(['cases', 'show', id, '--server', url, '--token-file', tokenFile, '-o', 'json'])) as unknown;
    expect(remote).toEqual(frontend);
  });

  it('tells the case\'s story from audit show, headed by its root and incidents; completion knows the command', async () => {
    const [, frontend] = (await casesResource.list(state, { limit: 50 })).items;
    const id = frontend?.id ?? '';
    const story = meshwarden(['audit', 'show', id, '--state-dir', state]);
    expect(story.code).toBe(0);
    const lines = story.stdout.trim().split('\n');
    expect(lines[0]).toBe(`case ${id}: root workload:ml-prod/frontend, 2 incident(s), resolved`);
    expect(lines[1]).toMatch(/^SEQ\s+RECORDED\s+TYPE\s+WHAT$/);
    expect(lines.filter((l) => /\sincident\s+incident opened/.test(l))).toHaveLength(2);
    const json = JSON.parse(meshwarden(['audit', 'show', id, '--state-dir', state, '-o', 'json']).stdout) as { caseId: string; case: { incidents: string[] } };
    expect(json.caseId).toBe(id);
    expect(json.case.incidents).toEqual(frontend?.incidents);
    const bash = meshwarden(['completion', 'bash']).stdout;
    expect(bash).toContain(`'cases') words='list show`);
    expect(bash).toContain(`'cases list'`);
    // Silences are changed through --server or --state-dir; the ConfigMap flags of add are not offered.
    const add = /'silence add'\) words='([^']*)'/.exec(bash)?.[1] ?? '';
    expect(add.split(' ')).toEqual(expect.arrayContaining(['--server', '--token-file', '--state-dir', '--ledger-key']));
    expect(add.split(' ')).not.toContain('--kubeconfig');
  });
});
