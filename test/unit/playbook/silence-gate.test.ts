import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { playbookSchema, type PlaybookSpec } from '../../../src/playbook/playbook-spec.js';
import { RunExecutor } from '../../../src/playbook/run-executor.js';
import { MemoryRunStore, type PlaybookRun } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../../../src/playbook/safety-guard.js';
import { StaticSilencer } from '../../../src/silences/silence-cache.js';
import { compileSilence, createSilence } from '../../../src/silences/silence.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { countingActions } from './fixtures/counting-actions.js';
import { crashRun } from './fixtures/crash-scenario.js';

const isolate = { name: 'isolate', action: 'kubernetes.quarantine-pod', params: { namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}' } };
const restart = { name: 'restart', action: 'kubernetes.restart-deployment', params: { namespace: 'ml-prod', deployment: 'inference' } };
const approve = { name: 'approve', action: 'slack.approval', params: { channel: '#soc', approvers: { users: ['U0SOC1'] }, timeout: '10m' } };

function playbook(steps: unknown[]): PlaybookSpec {
  return playbookSchema.parse({ apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name: 'contain' }, spec: { trigger: { detectors: ['egress-spike'], entityKinds: ['pod'] }, steps } });
}

function silence(matchers: string[], startsAt = 0, endsAt = 3_600_000) {
  return compileSilence(createSilence({ matchers, startsAt, endsAt, createdBy: 'alice', comment: 'backup window' }, 0, 'sil-1'));
}

function setup(spec: PlaybookSpec, matchers: string[], window?: [number, number]) {
  const effects = join(mkdtempSync(join(tmpdir(), 'meshwarden-silence-')), 'effects');
  const ledger: { type: string; data: Record<string, unknown> }[] = [];
  const clock = new ManualClock(1_000);
  const store = new MemoryRunStore();
  const executor = new RunExecutor({
    playbooks: new Map([['contain', spec]]), guard: new SafetyGuard(DEFAULT_SAFETY_POLICY), store,
    ledger: { append: (type, data) => ledger.push({ type, data: data as Record<string, unknown> }), flush: () => Promise.resolve() },
    actionDeps: { clock, logger: silentLogger() },
    findAction: countingActions(effects),
    silences: new StaticSilencer([silence(matchers, ...(window ?? []))]),
  });
  const effectKeys = (): string[] => (existsSync(effects) ? readFileSync(effects, 'utf8').split('\n').filter(Boolean) : []);
  return { executor, store, ledger, effectKeys, clock };
}

describe('the silence gate', () => {
  it('does not execute a silenced live step, and records what it would have done and which silence held it back', async () => {
    const { executor, store, ledger, effectKeys } = setup(playbook([isolate, restart]), ['detector=egress-spike', 'action=kubernetes.quarantine-pod']);
    await executor.start(crashRun());
    expect(effectKeys()).toEqual(['contain/inc-1/1']);
    const run = await store.get('contain|inc-1');
    expect(run?.results.map((r) => [r.step, r.outcome])).toEqual([['isolate', 'silenced'], ['restart', 'succeeded']]);
    const decision = ledger.find((l) => l.data.outcome === 'silenced');
    expect(decision?.type).toBe('decision');
    expect(decision?.data.description).toBe('would have kubernetes.quarantine-pod ml-prod/inference-abc12-xyz89, silenced by sil-1 (backup window, alice)');
    expect(decision?.data.details).toEqual({ silence: 'sil-1' });
  });

  it('silences a dry-run step at the anomaly\'s event time, so a replay decides as live would have', () => {
    const { executor } = setup(playbook([isolate]), ['namespace=ml-prod', 'pod=~inference-.*'], [50_000, 70_000]);
    expect(executor.dryRun({ ...crashRun(), dryRun: true }).map((r) => r.outcome)).toEqual(['silenced']);
    const later = crashRun();
    expect(executor.dryRun({ ...later, id: 'contain|inc-2', dryRun: true, anomaly: { ...later.anomaly, windowEnd: 70_000 } }).map((r) => r.outcome)).toEqual(['dry-run']);
  });

  it('runs the step when no matcher set holds: another entity, another detector', async () => {
    const { executor, effectKeys } = setup(playbook([isolate]), ['detector=egress-spike', 'pod=inference-other-xyz89']);
    await executor.start(crashRun());
    expect(effectKeys()).toEqual(['contain/inc-1/0']);
  });

  it('never lets a silenced approval wave the gated steps through: they are skipped', async () => {
    const { executor, store, effectKeys } = setup(playbook([approve, isolate]), ['action=slack.approval']);
    await executor.start(crashRun());
    expect(effectKeys()).toEqual([]);
    const run = await store.get('contain|inc-1');
    expect(run?.results.map((r) => [r.step, r.outcome])).toEqual([['approve', 'silenced'], ['isolate', 'skipped']]);
    expect(run?.results[1]?.description).toContain('its approval step "approve" was silenced by sil-1');
    const dry = setup(playbook([approve, isolate]), ['action=slack.approval']).executor.dryRun({ ...crashRun(), dryRun: true } satisfies PlaybookRun);
    expect(dry.map((r) => r.outcome)).toEqual(['silenced', 'skipped']);
  });
});
