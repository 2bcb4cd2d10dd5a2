import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigWatcher, type WatcherTimers } from '../../../src/config/config-watcher.js';
import { silentLogger } from '../../../src/shared/logger.js';

/** Timers stepped by the test: time passes only when `advance` says so. */
class SteppedTimers implements WatcherTimers {
  private now = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; run: () => void; every?: number }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, run: callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  setInterval(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, run: callback, every: ms });
    return id;
  }

  clearInterval(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending].filter(([, t]) => t.at <= until).sort(([, a], [, b]) => a.at - b.at)[0];
      if (due === undefined) break;
      const [id, timer] = due;
      this.now = timer.at;
      if (timer.every === undefined) this.pending.delete(id);
      else timer.at += timer.every;
      timer.run();
    }
    this.now = until;
  }
}

const dirs: string[] = [];
const watchers: ConfigWatcher[] = [];
afterEach(async () => {
  for (const watcher of watchers.splice(0)) await watcher.stop();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A directory laid out as the kubelet writes a ConfigMap volume: `name -> ..data/name`, `..data -> ..<ts>`. */
async function configMapDir(files: Record<string, string>): Promise<{ dir: string; swap: (files: Record<string, string>) => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'meshwarden-watch-'));
  dirs.push(dir);
  let generation = 0;
  const swap = async (next: Record<string, string>): Promise<void> => {
    const ts = `..ts_${++generation}`;
    await mkdir(join(dir, ts));
    for (const [name, text] of Object.entries(next)) await writeFile(join(dir, ts, name), text);
    await symlink(ts, join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    for (const name of Object.keys(next)) await symlink(join('..data', name), join(dir, name)).catch(() => undefined);
  };
  await swap(files);
  return { dir, swap };
}

function watcher(dir: string, timers: SteppedTimers, onChange: () => Promise<void>, pollIntervalMs = 30_000): ConfigWatcher {
  const w = new ConfigWatcher({ dirs: [dir], debounceMs: 2_000, pollIntervalMs, onChange, logger: silentLogger(), timers });
  watchers.push(w);
  return w;
}


describe('ConfigWatcher', () => {
  it('settles a burst of change events into one reload, after the quiet time', async () => {
    const { dir } = await configMapDir({ 'a.yaml': 'a' });
    const timers = new SteppedTimers();
    let reloads = 0;
    const w = watcher(dir, timers, () => { reloads++; return Promise.resolve(); }, 0);
    await w.start();
    for (let i = 0; i < 5; i++) {
      w.changed();
      timers.advance(1_500);
    }
    await w.idle();
    expect(reloads).toBe(0);
    timers.advance(2_000);
    await w.idle();
    expect(reloads).toBe(1);
    timers.advance(60_000);
    await w.idle();
    expect(reloads).toBe(1);
  });

  it('notices a kubelet-style ..data swap by polling when no watch event arrives', async () => {
    const { dir, swap } = await configMapDir({ 'a.yaml': 'first' });
    const timers = new SteppedTimers();
    let reloads = 0;
    const w = watcher(dir, timers, () => { reloads++; return Promise.resolve(); });
    await w.start();
    await w.checkPoll();
    timers.advance(2_000);
    await w.idle();
    expect(reloads).toBe(0);
    await swap({ 'a.yaml': 'second' });
    await w.checkPoll();
    timers.advance(2_000);
    await w.idle();
    expect(reloads).toBe(1);
  });

  it('never runs two reloads at once: a change during a reload runs one more after it', async () => {
    const { dir } = await configMapDir({ 'a.yaml': 'a' });
    const timers = new SteppedTimers();
    let running = 0;
    let most = 0;
    let reloads = 0;
    let release: () => void = () => undefined;
    const w = watcher(dir, timers, async () => {
      running++;
      most = Math.max(most, running);
      reloads++;
      if (reloads === 1) await new Promise<void>((resolve) => { release = resolve; });
      running--;
    }, 0);
    await w.start();
    w.changed();
    timers.advance(2_000);
    await vi.waitFor(() => { expect(reloads).toBe(1); }, { timeout: 5_000 });
    w.changed();
    timers.advance(2_000);
    expect(reloads).toBe(1);
    release();
    await w.idle();
    expect(reloads).toBe(2);
    expect(most).toBe(1);
  });

  it('keeps going after a reload throws', async () => {
    const { dir } = await configMapDir({ 'a.yaml': 'a' });
    const timers = new SteppedTimers();
    let reloads = 0;
    const w = watcher(dir, timers, () => { reloads++; return Promise.reject(new Error('boom')); }, 0);
    await w.start();
    w.changed();
    timers.advance(2_000);
    await w.idle();
    w.changed();
    timers.advance(2_000);
    await w.idle();
    expect(reloads).toBe(2);
  });
});
