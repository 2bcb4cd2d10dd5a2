import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../src/features/entity.js';
import { FileSilenceStore, SILENCE_FILE } from '../../../src/silences/file-silence-store.js';
import { SilenceCache } from '../../../src/silences/silence-cache.js';
import { createSilence, silenceMatches, compileSilence, type NewSilence } from '../../../src/silences/silence.js';
import { SilenceStoreError } from '../../../src/silences/silence-store.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';

const HOUR = 3_600_000;
const pod: Entity = { key: 'pod:ml-prod/inference-abc12-xyz89', kind: 'pod', namespace: 'ml-prod', name: 'inference-abc12-xyz89', pod: 'inference-abc12-xyz89', workload: 'inference' };
const principal: Entity = { key: 'principal:203.0.113.77', kind: 'principal', name: '203.0.113.77', identity: 'ip' };

function input(over: Partial<NewSilence> = {}): NewSilence {
  return { matchers: ['detector=egress-spike', 'namespace=~ml-.*'], startsAt: 0, endsAt: 4 * HOUR, createdBy: 'alice', comment: 'nightly backup', ...over };
}

describe('silences', () => {
  it('match a step on every label: detector, entity kind, namespace, workload, pod, principal, playbook and action', () => {
    const s = compileSilence(createSilence(input({
      matchers: ['detector=egress-spike', 'kind=pod', 'namespace=ml-prod', 'workload=inference', 'pod=~inference-.*', 'playbook=contain', 'action=kubernetes.quarantine-pod', 'entity=pod:ml-prod/inference-abc12-xyz89'],
    }), 0));
    const step = { detector: 'egress-spike', entity: pod, playbook: 'contain', action: 'kubernetes.quarantine-pod' };
    expect(silenceMatches(s, step)).toBe(true);
    expect(silenceMatches(s, { ...step, action: 'slack.notify' })).toBe(false);
    expect(silenceMatches(s, { ...step, detector: 'new-callee-edges' })).toBe(false);
    const ip = compileSilence(createSilence(input({ matchers: ['principal=203.0.113.77'] }), 0));
    expect(silenceMatches(ip, { ...step, entity: principal })).toBe(true);
    expect(silenceMatches(ip, step)).toBe(false);
  });

  it('refuses a silence that ends before it starts', () => {
    expect(() => createSilence(input({ endsAt: 0 }), 0)).toThrow('must end after it starts');
  });
});

describe('FileSilenceStore', () => {
  it('keeps silences across instances, expires one early, and the cache sees the change after its period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwarden-silences-'));
    const clock = new ManualClock(HOUR);
    const store = new FileSilenceStore(dir, clock);
    const a = createSilence(input({ startsAt: HOUR, endsAt: 5 * HOUR }), HOUR, 'a');
    await store.add(a);
    await store.add(createSilence(input({ matchers: ['detector=auth-failure-storm'], startsAt: HOUR, endsAt: 5 * HOUR }), HOUR, 'b'));
    expect((await new FileSilenceStore(dir, clock).list()).map((s) => s.id)).toEqual(['a', 'b']);

    clock.advance(60_000);
    const cache = new SilenceCache(new FileSilenceStore(dir, clock), { clock, logger: silentLogger(), cacheMs: 10_000 });
    await cache.load();
    const step = { detector: 'egress-spike', entity: pod, playbook: 'contain', action: 'kubernetes.quarantine-pod' };
    expect(cache.match(step, 2 * HOUR)?.id).toBe('a');

    const expired = await store.expire('a', clock.now(), 'bob');
    expect(expired).toMatchObject({ id: 'a', endsAt: HOUR + 60_000, expiredBy: 'bob' });
    expect(await store.expire('nope', clock.now(), 'bob')).toBeUndefined();
    clock.advance(5_000);
    await cache.refresh();
    expect(cache.match(step, clock.now())?.id).toBe('a');
    clock.advance(10_000);
    await cache.refresh();
    expect(cache.match(step, clock.now())).toBeUndefined();
  });

  it('refuses a duplicate id and a full store, and drops silences expired for a day when adding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwarden-silences-'));
    const clock = new ManualClock(0);
    const store = new FileSilenceStore(dir, clock);
    await store.add(createSilence(input(), 0, 'old'));
    await expect(store.add(createSilence(input(), 0, 'old'))).rejects.toThrow('exists already');
    clock.set(30 * HOUR);
    await store.add(createSilence(input({ startsAt: 30 * HOUR, endsAt: 31 * HOUR }), 30 * HOUR, 'new'));
    expect((await store.list()).map((s) => s.id)).toEqual(['new']);
    const many = Array.from({ length: 999 }, (_, i) => createSilence(input({ startsAt: 30 * HOUR, endsAt: 31 * HOUR }), 30 * HOUR, `s${i}`));
    writeFileSync(join(dir, SILENCE_FILE), JSON.stringify({ version: 1, silences: [...(await store.list()), ...many] }));
    await expect(store.add(createSilence(input({ startsAt: 30 * HOUR, endsAt: 31 * HOUR }), 30 * HOUR, 'one-more'))).rejects.toThrow(SilenceStoreError);
  });

  it('refuses a hand-edited file with a field a silence does not have, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwarden-silences-'));
    const store = new FileSilenceStore(dir, new ManualClock(0));
    await store.add(createSilence(input(), 0, 'a'));
    const text = JSON.parse(readFileSync(join(dir, SILENCE_FILE), 'utf8')) as { silences: Record<string, unknown>[] };
    text.silences[0] = { ...text.silences[0], matchAll: true };
    writeFileSync(join(dir, SILENCE_FILE), JSON.stringify(text));
    await expect(store.list()).rejects.toThrow(/silences\.json is not a silence file: silences\.0: Unrecognized key/);
  });

  it('keeps the silences read last in force when the store becomes unreadable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwarden-silences-'));
    const clock = new ManualClock(0);
    const store = new FileSilenceStore(dir, clock);
    await store.add(createSilence(input(), 0, 'a'));
    const cache = new SilenceCache(store, { clock, logger: silentLogger(), cacheMs: 1_000 });
    await cache.load();
    writeFileSync(join(dir, SILENCE_FILE), '{ not json');
    clock.advance(2_000);
    await cache.refresh();
    expect(cache.match({ detector: 'egress-spike', entity: pod, playbook: 'contain', action: 'x' }, clock.now())?.id).toBe('a');
  });
});
