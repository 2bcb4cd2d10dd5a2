import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../../../src/embedded/run-progress.js';
import { replayReportFixture } from '../helpers/report-fixture.js';

async function replay(every: number, tamper?: (input: string) => void): Promise<{ calls: RunProgress[]; records: number; last: number }> {
  const calls: RunProgress[] = [];
  const report = await replayReportFixture({ ...(tamper ? { tamper } : {}), deps: { progress: (p) => calls.push(p), progressEvery: every } });
  return { calls, records: report.records, last: Math.max(...report.anomalies.map((a) => Date.parse(a.windowEnd))) };
}

describe('progress while a replay reads', () => {
  it('is reported at most once every N records, with growing counters and event time', async () => {
    const { calls, records } = await replay(250);
    expect(records).toBe(1_080);
    expect(calls.map((c) => c.counters.records)).toEqual([250, 500, 750, 1_000]);
    const times = calls.map((c) => c.eventTime ?? 0);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Three records every ten seconds from 09:00: the 250th is the 84th second's, 09:13:50.
    expect(new Date(times[0] ?? 0).toISOString()).toBe('2026-11-03T09:13:50.000Z');
    expect(calls.at(-1)?.anomalies).toBeGreaterThan(0);
  });

  it('is not moved by far-future records the engine refused (two in a row: one short of confirming a jump)', async () => {
    const future = JSON.stringify({
      schema: 'model_telemetry.v1', ts: '2099-01-01T00:00:00Z', kind: 'request', status_code: 200,
      model: { name: 'churn', version: 'v7', namespace: 'ml-prod' }, prediction: { confidence: 0.9 },
    });
    const { calls } = await replay(1, (input) => {
      const lines = readFileSync(input, 'utf8').trimEnd().split('\n');
      lines.splice(600, 0, future, future);
      writeFileSync(input, `${lines.join('\n')}\n`);
    });
    expect(calls.length).toBe(1_082);
    expect(calls.at(-1)?.counters.future).toBe(2);
    const latest = Math.max(...calls.map((c) => c.eventTime ?? 0));
    expect(new Date(latest).toISOString()).toBe('2026-11-03T09:59:50.000Z');
  });
});
