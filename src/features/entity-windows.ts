import type { WindowAccumulator } from './window-accumulator.js';

/**
 * The open windows of one tracked entity, by window start: the few Map operations the feature
 * extractor needs, without a Map. An entity has one open window most of the time and two while
 * the previous one waits out the allowed lateness, so the first is held in two fields and a Map
 * is made only for a third (an entity fed records far apart in event time). With hundreds of
 * thousands of entities tracked, the Map every entity used to carry was a fifth of its memory.
 */
export class EntityWindows {
  private firstStart = 0;
  private first: WindowAccumulator | undefined;
  private secondStart = 0;
  private second: WindowAccumulator | undefined;
  private more: Map<number, WindowAccumulator> | undefined;

  get size(): number {
    return (this.first === undefined ? 0 : 1) + (this.second === undefined ? 0 : 1) + (this.more?.size ?? 0);
  }

  get(start: number): WindowAccumulator | undefined {
    if (this.first !== undefined && this.firstStart === start) return this.first;
    if (this.second !== undefined && this.secondStart === start) return this.second;
    return this.more?.get(start);
  }

  has(start: number): boolean {
    return this.get(start) !== undefined;
  }

  /** Adds or replaces the window starting at `start`. */
  set(start: number, acc: WindowAccumulator): void {
    if (this.first !== undefined && this.firstStart === start) this.first = acc;
    else if (this.second !== undefined && this.secondStart === start) this.second = acc;
    else if (this.more?.has(start) === true) this.more.set(start, acc);
    else if (this.first === undefined) {
      this.first = acc;
      this.firstStart = start;
    } else if (this.second === undefined) {
      this.second = acc;
      this.secondStart = start;
    } else {
      (this.more ??= new Map()).set(start, acc);
    }
  }

  delete(start: number): boolean {
    if (this.first !== undefined && this.firstStart === start) {
      this.first = undefined;
      return true;
    }
    if (this.second !== undefined && this.secondStart === start) {
      this.second = undefined;
      return true;
    }
    const deleted = this.more?.delete(start) ?? false;
    if (this.more?.size === 0) this.more = undefined;
    return deleted;
  }

  clear(): void {
    this.first = undefined;
    this.second = undefined;
    this.more = undefined;
  }

  /** The starts of the open windows (a copy: deleting while iterating is safe). */
  keys(): number[] {
    const starts: number[] = [];
    if (this.first !== undefined) starts.push(this.firstStart);
    if (this.second !== undefined) starts.push(this.secondStart);
    if (this.more !== undefined) for (const start of this.more.keys()) starts.push(start);
    return starts;
  }
}
