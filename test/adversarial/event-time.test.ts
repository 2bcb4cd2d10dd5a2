import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline, type PipelineOptions, type PipelineState } from '../../src/app.js';
import type { StoredDeadLetter } from '../../src/parse/records.js';
import { ManualClock } from '../../src/shared/clock.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const END_OF_TIME = Date.UTC(9999, 11, 31, 23, 59, 59);

/** An inbound access log line of one pod, as the attacker's own workload could print it. */
function line(at: number, i: number): string {
  const text = `[${new Date(at).toISOString()}] "GET /v1/score HTTP/1.1" 200 - via_upstream - "-" 10 20 5 4 "-" "t/1" "r-${i}" "inference:8080" "10.42.2.10:8080" inbound|8080|| 127.0.0.6:1 10.42.2.10:8080 10.42.1.5:5 - default`;
  return JSON.stringify({ log: text, kubernetes: { namespace_name: 'ml-prod', pod_name: 'inference-7d9c8b6f5-x2k4p', labels: { app: 'inference' } } });
}

function pipeline(state: PipelineState = {}, options: Partial<PipelineOptions> = {}, clock = new ManualClock(T0)) {
  const letters: StoredDeadLetter[] = [];
  const p = new Pipeline([], [], { ...DEFAULT_PIPELINE_OPTIONS, ...options, collect: false }, {
    deadLetters: { add: (l) => letters.push(l) },
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
  }, state, { clock });
  return { p, letters };
}

/** One record a second from `from`, `count` of them. */
function feed(p: Pipeline, from: number, count: number, source = 'logs', first = 0): void {
  for (let i = 0; i < count; i++) p.ingest(line(from + i * 1000, first + i), { source, position: first + i });
}

function saved(p: Pipeline): PipelineState {
  return JSON.parse(JSON.stringify(p.state())) as PipelineState;
}

describe('event time under a hostile record', () => {
  it('a record dated 9999-12-31 in the middle of the stream does not make the later records late', () => {
    const { p, letters } = pipeline();
    feed(p, T0, 120);
    p.ingest(line(END_OF_TIME, 999), { source: 'logs', position: 120 });
    feed(p, T0 + 120_000, 600, 'logs', 121);
    p.finish();
    expect(p.counters.late).toBe(0);
    expect(p.counters.future).toBe(1);
    expect(p.counters.parsed).toBe(720);
    expect(letters.map((l) => l.code)).toEqual(['future']);
    // Windows were scored as the stream moved, not held back nor closed by the outlier.
    expect(p.counters.windows).toBeGreaterThan(10);
  });

  it('a 9999-12-31 record as the very first line (before any watermark) blinds nothing either', () => {
    const { p } = pipeline();
    p.ingest(line(END_OF_TIME, 0), { source: 'logs', position: 0 });
    feed(p, T0, 600, 'logs', 1);
    expect(p.counters.late).toBe(0);
    expect(p.counters.parsed).toBe(601);
  });

  it('the poisoned time is not saved: the next run over later input loses nothing', () => {
    const first = pipeline();
    feed(first.p, T0, 120);
    first.p.ingest(line(END_OF_TIME, 999), { source: 'logs', position: 120 });
    first.p.ingest(line(END_OF_TIME + 1, 1000), { source: 'logs', position: 121 });
    first.p.finish();
    const state = saved(first.p);
    expect(JSON.stringify(state.clock)).not.toContain('2534');
    expect(JSON.stringify(state.eventTime)).not.toContain('2534');

    const second = pipeline(state);
    feed(second.p, T0 + 10 * MIN, 300);
    second.p.finish();
    expect(second.p.counters.late).toBe(0);
    expect(second.p.counters.parsed).toBe(300);
  });

  it('in the service, nothing more than the skew ahead of the engine clock is admitted, even agreeing forgeries', () => {
    const clock = new ManualClock(T0 + 10 * MIN);
    const { p } = pipeline({}, { eventTime: { ...DEFAULT_PIPELINE_OPTIONS.eventTime, wallClock: true } }, clock);
    for (let i = 0; i < 5; i++) p.ingest(line(T0 + 10 * MIN + 6 * MIN + i, i), { source: 'logs', position: i });
    expect(p.counters.future).toBe(5);
    feed(p, T0, 300, 'logs', 10);
    expect(p.counters.late).toBe(0);
    expect(p.counters.parsed).toBe(300);
  });

  it('far-past records are dead-lettered as late and counted as late', () => {
    const { p, letters } = pipeline();
    feed(p, T0, 30 * 60);
    for (let i = 0; i < 7; i++) p.ingest(line(Date.UTC(2001, 0, 1) + i * MIN, 5000 + i), { source: 'logs', position: 5000 + i });
    p.finish();
    expect(p.counters.late).toBe(7);
    expect(letters.filter((l) => l.code === 'late')).toHaveLength(7);
    expect(p.counters.parsed + p.counters.deadLettered).toBe(p.counters.records);
  });

  it('a source whose time races ahead cannot make another source\'s records late', () => {
    const { p } = pipeline();
    feed(p, T0, 60, 'honest');
    feed(p, T0, 60, 'forger', 1000);
    // The forger confirms a jump two days ahead with several agreeing records of its own.
    for (let i = 0; i < 10; i++) p.ingest(line(T0 + 2 * 24 * 60 * MIN + i, 2000 + i), { source: 'forger', position: 2000 + i });
    feed(p, T0 + 60_000, 600, 'honest', 60);
    expect(p.counters.late).toBe(0);
  });

  it('a genuine gap in the logs is followed after a few confirming records', () => {
    const { p } = pipeline();
    feed(p, T0, 60);
    feed(p, T0 + 5 * 60 * MIN, 600, 'logs', 60);
    p.finish();
    const lost = p.counters.future;
    expect(lost).toBeLessThanOrEqual(DEFAULT_PIPELINE_OPTIONS.eventTime.confirmations - 1);
    expect(p.counters.parsed).toBe(660 - lost);
    expect(p.counters.late).toBe(0);
  });
});
