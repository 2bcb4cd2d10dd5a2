import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_TIME_OPTIONS, EventTimeGuard, type EventTimeOptions } from '../../../src/features/event-time-guard.js';
import { ManualClock } from '../../../src/shared/clock.js';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const HOUR = 3_600_000;

function guard(options: Partial<EventTimeOptions> = {}, clock = new ManualClock(T0)): EventTimeGuard {
  return new EventTimeGuard({ ...DEFAULT_EVENT_TIME_OPTIONS, ...options }, clock);
}

describe('EventTimeGuard', () => {
  it('has no watermark until three records agree, then follows the third newest', () => {
    const g = guard();
    g.admit('a', T0);
    g.admit('a', T0 + 1000);
    expect(g.watermark()).toBeUndefined();
    g.admit('a', T0 + 2000);
    expect(g.watermark()).toBe(T0);
    g.admit('a', T0 + 3000);
    expect(g.watermark()).toBe(T0 + 1000);
  });

  it('refuses a record further ahead than the lead, and moves nothing for it', () => {
    const g = guard();
    for (let i = 0; i < 5; i++) g.admit('a', T0 + i);
    expect(g.admit('a', T0 + 2 * HOUR)).toBe('future-of-stream');
    expect(g.watermark()).toBe(T0 + 2);
  });

  it('follows a jump confirmed by three records within the lead of one another', () => {
    const g = guard();
    for (let i = 0; i < 5; i++) g.admit('a', T0 + i);
    expect(g.admit('a', T0 + 5 * HOUR)).toBe('future-of-stream');
    expect(g.admit('a', T0 + 5 * HOUR + 1)).toBe('future-of-stream');
    expect(g.admit('a', T0 + 5 * HOUR + 2)).toBe('admitted');
    expect(g.watermark()).toBe(T0 + 5 * HOUR);
    expect(g.admit('a', T0 + 5 * HOUR + 3)).toBe('admitted');
  });

  it('does not confirm a jump from outliers that disagree with one another', () => {
    const g = guard();
    for (let i = 0; i < 5; i++) g.admit('a', T0 + i);
    for (let i = 1; i <= 10; i++) expect(g.admit('a', T0 + i * 10 * HOUR)).toBe('future-of-stream');
    expect(g.watermark()).toBe(T0 + 2);
  });

  it('with the wall clock on, refuses anything beyond the skew ahead of the clock', () => {
    const g = guard({ wallClock: true });
    expect(g.admit('a', T0 + 6 * 60_000)).toBe('future-of-clock');
    expect(g.admit('a', T0 + 4 * 60_000)).toBe('admitted');
  });

  it('takes the slowest active source, and ignores one that went quiet', () => {
    const g = guard({ idleAfterRecords: 10 });
    for (let i = 0; i < 3; i++) g.admit('slow', T0 + i);
    for (let i = 0; i < 3; i++) g.admit('fast', T0 + HOUR / 2 + i);
    expect(g.watermark()).toBe(T0);
    for (let i = 3; i < 20; i++) g.admit('fast', T0 + HOUR / 2 + i);
    expect(g.watermark()).toBe(T0 + HOUR / 2 + 17);
  });

  it('saves confirmed watermarks only, and drops a saved one that is ahead of the clock', () => {
    const g = guard();
    for (let i = 0; i < 3; i++) g.admit('a', T0 + i);
    g.admit('b', T0);
    expect(g.snapshot()).toEqual({ version: 1, sources: { a: T0 } });
    const restored = new EventTimeGuard({ ...DEFAULT_EVENT_TIME_OPTIONS, wallClock: true }, new ManualClock(T0), { version: 1, sources: { a: T0, poisoned: 253402300799000 } });
    expect(restored.sourceWatermark('a')).toBe(T0);
    expect(restored.sourceWatermark('poisoned')).toBeUndefined();
  });

  it('restores nothing from a saved snapshot of the wrong shape', () => {
    for (const saved of [null, { version: 1, sources: null }, { version: 1, sources: { a: 'soon' } }, { version: 2, sources: { a: T0 } }, { version: 1, sources: { a: T0 }, extra: 1 }]) {
      expect(new EventTimeGuard(DEFAULT_EVENT_TIME_OPTIONS, new ManualClock(T0), saved).snapshot()).toEqual({ version: 1, sources: {} });
    }
  });
});
