import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline, type PipelineState } from '../../../src/app.js';
import type { StoredDeadLetter } from '../../../src/parse/records.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

function line(at: number, i: number): string {
  const text = `[${new Date(at).toISOString()}] "GET /v1/score HTTP/1.1" 200 - via_upstream - "-" 10 20 5 4 "-" "t/1" "r-${i}" "inference:8080" "10.0.0.1:8080" inbound|8080|| 127.0.0.6:1 10.42.2.10:8080 10.42.1.5:5 - default`;
  return JSON.stringify({ log: text, kubernetes: { namespace_name: 'ml-prod', pod_name: 'inference-7d9c8b6f5-x2k4p', labels: { app: 'inference' } } });
}

function pipeline(state: PipelineState = {}, replayBelow?: number) {
  const letters: StoredDeadLetter[] = [];
  const p = new Pipeline([], [], { ...DEFAULT_PIPELINE_OPTIONS, collect: false }, {
    deadLetters: { add: (l) => letters.push(l) },
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
  }, state, replayBelow === undefined ? {} : { replayBelow });
  return { p, letters };
}

describe('Pipeline checkpoints', () => {
  it('resumes from the earliest record still held in an open window, not from the last one read', () => {
    const { p } = pipeline();
    // Minutes 0..2 at positions 0..29; minute 2 is still open (watermark lags by the lateness).
    for (let i = 0; i < 30; i++) p.ingest(line(T0 + Math.floor(i / 10) * MIN + (i % 10) * 1000, i), { source: 't/0', position: i });
    expect(p.resumePosition(30)).toBe(10);
    p.finish();
    expect(p.resumePosition(30)).toBe(30);
  });

  it('after a restart, replays the open window without dead-lettering the records of windows already closed', () => {
    const first = pipeline();
    const lines = Array.from({ length: 30 }, (_, i) => line(T0 + Math.floor(i / 10) * MIN + (i % 10) * 1000, i));
    lines.forEach((l, i) => { first.p.ingest(l, { source: 't/0', position: i }); });
    const resume = first.p.resumePosition(30);
    const state = JSON.parse(JSON.stringify(first.p.state())) as PipelineState;

    // The replay starts before the checkpoint's end; a straggler from a closed minute is among it.
    const second = pipeline(state, 30);
    second.p.ingest(line(T0 + 5_000, 99), { source: 't/0', position: 5 });
    for (let i = resume; i < 30; i++) second.p.ingest(lines[i] ?? '', { source: 't/0', position: i });
    expect(second.letters).toEqual([]);
    expect(second.p.counters.parsed).toBe(30 - resume);
    // A genuinely late record (read after the checkpoint) is still dead-lettered.
    second.p.ingest(line(T0 + 6_000, 100), { source: 't/0', position: 31 });
    expect(second.letters.map((l) => l.code)).toEqual(['late']);
  });
});
