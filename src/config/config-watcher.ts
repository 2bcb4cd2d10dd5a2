import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';

/** The timers the watcher schedules with; tests pass their own to step time without sleeping. */
export interface WatcherTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Node's timers, unref'd so a watcher never keeps a process alive. */
export const NODE_TIMERS: WatcherTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => { clearTimeout(handle as NodeJS.Timeout); },
  setInterval: (callback, ms) => setInterval(callback, ms).unref(),
  clearInterval: (handle) => { clearInterval(handle as NodeJS.Timeout); },
};

/** What the watcher needs, passed in. */
export interface ConfigWatcherDeps {
  /** Directories of configuration files (each may be, or sit under, a ConfigMap volume). */
  readonly dirs: readonly string[];
  /** Quiet time after the last event before `onChange` runs: a kubelet update is several events. */
  readonly debounceMs: number;
  /** How often the directories are compared with the last look (inotify misses some volume updates); 0: never. */
  readonly pollIntervalMs: number;
  /** Runs after a change settled; never two at once. Its errors are logged, never thrown. */
  readonly onChange: () => Promise<void>;
  readonly logger: Logger;
  readonly timers?: WatcherTimers;
}

/**
 * Tells when detector or playbook files changed. A ConfigMap volume is updated by the kubelet
 * swapping a `..data` symlink to a new timestamped directory and deleting the old one, so the
 * watcher watches each directory and its parent (where the swap happens in the chart's layout),
 * re-arms after every change (a watch on the old directory is dead once it is deleted), and
 * settles a burst of events into one `onChange` (debounce). inotify is unreliable on some volume
 * types, so a poll also compares what each file resolves to, its size and mtime, every
 * `pollIntervalMs`. Deciding whether the content really changed is the caller's job.
 */
export class ConfigWatcher {
  private readonly timers: WatcherTimers;
  private watchers: FSWatcher[] = [];
  private debounce: unknown;
  private poll: unknown;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private fingerprint: string | undefined;
  private polling = false;

  constructor(private readonly deps: ConfigWatcherDeps) {
    this.timers = deps.timers ?? NODE_TIMERS;
  }

  /** Starts watching and polling (the first poll only records how the files look now). */
  async start(): Promise<void> {
    this.arm();
    this.fingerprint = await this.look();
    if (this.deps.pollIntervalMs > 0) this.poll = this.timers.setInterval(() => { void this.checkPoll(); }, this.deps.pollIntervalMs);
  }

  /** Something may have changed: `onChange` runs once things are quiet for `debounceMs`. */
  changed(): void {
    if (this.stopped) return;
    if (this.debounce !== undefined) this.timers.clearTimeout(this.debounce);
    this.debounce = this.timers.setTimeout(() => {
      this.debounce = undefined;
      this.fire();
    }, this.deps.debounceMs);
  }

  /** Compares the directories with the last look, as the poll does; a difference counts as a change. */
  async checkPoll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const now = await this.look();
      if (now !== this.fingerprint) {
        this.fingerprint = now;
        this.changed();
      }
    } finally {
      this.polling = false;
    }
  }

  /** Stops watching and polling and waits for a running `onChange` to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.debounce !== undefined) this.timers.clearTimeout(this.debounce);
    if (this.poll !== undefined) this.timers.clearInterval(this.poll);
    this.disarm();
    await this.idle();
  }

  /** Resolves once no `onChange` is running or queued behind a running one. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private fire(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.arm();
    this.running = (async () => {
      try {
        this.fingerprint = await this.look();
        await this.deps.onChange();
      } catch (error) {
        this.deps.logger.error({ err: describeError(error) }, 'configuration reload failed');
      } finally {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.fire();
        }
      }
    })();
  }

  /** (Re)creates the inotify watches on each directory and its parent. */
  private arm(): void {
    this.disarm();
    const targets = new Set(this.deps.dirs.flatMap((dir) => [dir, dirname(dir)]));
    for (const target of targets) {
      try {
        const watcher = fsWatch(target, { persistent: false }, () => { this.changed(); });
        watcher.on('error', (error) => {
          this.deps.logger.warn({ dir: target, err: describeError(error) }, 'cannot watch a configuration directory; polling still notices changes');
        });
        this.watchers.push(watcher);
      } catch (error) {
        this.deps.logger.warn({ dir: target, err: describeError(error) }, 'cannot watch a configuration directory; polling still notices changes');
      }
    }
  }

  private disarm(): void {
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }

  /**
   * How the files look: each visible entry (hidden ones are the volume's own bookkeeping), what it
   * resolves to, its size and mtime. Nothing is read, so a huge file costs a stat.
   */
  private async look(): Promise<string> {
    const lines: string[] = [];
    const visit = async (dir: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        lines.push(`${dir}\t${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
        return;
      }
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (entry.name.startsWith('.')) continue;
        const full = join(dir, entry.name);
        if (entry.isDirectory() && depth < 8) {
          await visit(full, depth + 1);
          continue;
        }
        try {
          const info = await stat(full);
          lines.push(`${full}\t${await realpath(full)}\t${info.size}\t${info.mtimeMs}\t${info.ino}`);
        } catch (error) {
          lines.push(`${full}\t${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
        }
      }
    };
    for (const dir of this.deps.dirs) await visit(dir, 0);
    return lines.join('\n');
  }
}
