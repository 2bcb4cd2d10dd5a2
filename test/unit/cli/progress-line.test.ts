import { describe, expect, it } from 'vitest';
import { ProgressLine, formatProgress } from '../../../src/cli/progress-line.js';
import type { RunProgress } from '../../../src/embedded/run-progress.js';
import { ManualClock } from '../../../src/shared/clock.js';

const AT = Date.parse('2026-11-03T09:05:00Z');

function progress(records: number, extra: Partial<RunProgress> = {}): RunProgress {
  return {
    counters: { messages: records, records, parsed: records, deadLettered: 0, late: 0, future: 0, unattributed: 0, windows: 0 },
    eventTime: AT, anomalies: 3, actions: 1, ...extra,
  };
}

function line(options: { columns?: number } = {}): { clock: ManualClock; writes: string[]; progress: ProgressLine } {
  const clock = new ManualClock(1_000_000);
  const writes: string[] = [];
  const bar = new ProgressLine({ write: (text) => writes.push(text), clock, ...(options.columns !== undefined ? { columns: () => options.columns } : {}) });
  return { clock, writes, progress: bar };
}

describe('the progress line', () => {
  it('says records read, dead letters, event time reached, rate and findings', () => {
    const p = progress(123_456);
    expect(formatProgress({ ...p, counters: { ...p.counters, deadLettered: 24 } }, 2_000))
      .toBe('read 123,456 records (24 dead-lettered)  event time 2026-11-03 09:05Z  61,728 records/s  3 anomalies, 1 actions');
    expect(formatProgress({ ...progress(10), eventTime: undefined }, 0)).toBe('read 10 records  3 anomalies, 1 actions');
  });

  it('draws at once, then at most every 250 ms however often it is told, each time from the start of the line', () => {
    const { clock, writes, progress: bar } = line();
    bar.update(progress(2_000));
    clock.advance(100);
    bar.update(progress(4_000));
    clock.advance(149);
    bar.update(progress(6_000));
    expect(writes).toHaveLength(1);
    clock.advance(1);
    bar.update(progress(8_000));
    expect(writes).toHaveLength(2);
    expect(writes.every((w) => w.startsWith('\r') && !w.includes('\n'))).toBe(true);
    expect(writes[0]).toContain('read 2,000 records');
    // 8,000 records in the 250 ms since the line was made.
    expect(writes[1]).toContain('read 8,000 records  event time 2026-11-03 09:05Z  32,000 records/s');
  });

  it('overwrites a longer previous line with spaces, and wipes itself at the end', () => {
    const { clock, writes, progress: bar } = line();
    const long = progress(1_000, { anomalies: 123_456_789 });
    bar.update({ ...long, counters: { ...long.counters, deadLettered: 1_000 } });
    clock.advance(300);
    bar.update(progress(2_000));
    const [first = '', second = ''] = writes;
    expect(second.length).toBe(first.length);
    expect(second.trimEnd().length).toBeLessThan(first.length);
    expect(second.trimEnd()).toBe(`\r${formatProgress(progress(2_000), 300)}`);
    bar.clear();
    expect(writes[2]).toBe(`\r${' '.repeat(second.trimEnd().length - 1)}\r`);
    // Nothing drawn since: nothing to wipe.
    bar.clear();
    expect(writes).toHaveLength(3);
  });

  it('is cut to the terminal\'s width so it never wraps (a wrapped line cannot be redrawn with \\r)', () => {
    const { writes, progress: bar } = line({ columns: 30 });
    bar.update(progress(123_456));
    expect(writes[0]).toBe(`\r${formatProgress(progress(123_456), 0).slice(0, 29)}`);
  });

  it('draws again at once after a wipe (a warning printed between two updates)', () => {
    const { clock, writes, progress: bar } = line();
    bar.update(progress(1_000));
    bar.clear();
    clock.advance(10);
    bar.update(progress(2_000));
    expect(writes).toHaveLength(3);
  });
});
