import { mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileIncidentThreadStore, type IncidentThread } from '../../../src/actions/slack/incident-thread-store.js';
import { FileRunStore, type PlaybookRun } from '../../../src/playbook/run-store.js';
import { crashRun } from './fixtures/crash-scenario.js';

const DAY = 24 * 3_600_000;
const NOW = Date.now();

/** Sets every file's modification time in `dir` to `at`. */
function age(dir: string, at: number): void {
  for (const name of readdirSync(dir)) utimesSync(join(dir, name), at / 1000, at / 1000);
}

describe('working state past its retention', () => {
  it('drops finished runs last written before the cut-off, and keeps running, waiting and recent ones', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'meshwarden-retention-')), 'runs');
    const store = new FileRunStore(dir);
    const run = (id: string, state: PlaybookRun['state']): PlaybookRun => ({ ...crashRun(), id, state });
    for (const r of [run('old-done', 'done'), run('old-aborted', 'aborted'), run('old-running', 'running'), run('old-waiting', 'waiting')]) await store.save(r);
    age(dir, NOW - 8 * DAY);
    await store.save(run('new-done', 'done'));

    expect(await store.prune(NOW - 7 * DAY)).toBe(2);
    expect(await store.get('old-done')).toBeUndefined();
    expect(await store.get('old-aborted')).toBeUndefined();
    expect((await store.unfinished()).map((r) => r.id).sort()).toEqual(['old-running', 'old-waiting']);
    expect((await store.get('new-done'))?.state).toBe('done');
  });

  it('drops the Slack threads of incidents quiet since before the cut-off', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-retention-'));
    const store = new FileIncidentThreadStore(stateDir);
    const thread = (incidentId: string): IncidentThread => ({ incidentId, messages: [], appliedKeys: [], seenAnomalies: [] } as unknown as IncidentThread);
    await store.set('quiet', thread('quiet'));
    age(join(stateDir, 'slack', 'threads'), NOW - 8 * DAY);
    await store.set('active', thread('active'));
    expect(await store.prune(NOW - 7 * DAY)).toBe(1);
    expect(readdirSync(join(stateDir, 'slack', 'threads'))).toEqual(['active.json']);
  });
});
