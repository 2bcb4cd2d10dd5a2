import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../src/app.js';
import { runEmbedded } from '../../src/embedded/run-embedded.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { DeadLetterFile } from '../../src/sources/dead-letter-file.js';

const MIB = 1024 * 1024;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

function accessLog(at: number, i: number): string {
  return `[${new Date(at).toISOString()}] "GET /v1/score HTTP/1.1" 200 - via_upstream - "-" 10 20 5 4 "-" "t/1" "r-${i}" "inference:8080" "10.42.2.10:8080" inbound|8080|| 127.0.0.6:1 10.42.2.10:8080 10.42.1.5:5 - default`;
}

function shipped(at: number, i: number): string {
  return JSON.stringify({ log: accessLog(at, i), kubernetes: { namespace_name: 'ml-prod', pod_name: 'inference-7d9c8b6f5-x2k4p', labels: { app: 'inference' } } });
}

/** One OTLP-JSON batch just under 1 MiB, every record dated in 2001 (late). */
function lateBatch(): { text: string; records: number } {
  const logRecords: unknown[] = [];
  let bytes = 200;
  for (let i = 0; ; i++) {
    const record = { body: { stringValue: `[${new Date(Date.UTC(2001, 0, 1) + i).toISOString()}] "GET / HTTP/1.1" 200 - via_upstream - "-" 1 2 3 4 "-" "-" "-" "-" "1.1.1.1:80" inbound|80|| - 1.1.1.1:80 2.2.2.2:5 - -` } };
    const size = JSON.stringify(record).length + 1;
    if (bytes + size > MIB - 1024) break;
    bytes += size;
    logRecords.push(record);
  }
  const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const text = JSON.stringify({
    resourceLogs: [{
      resource: { attributes: [attr('k8s.namespace.name', 'ml-prod'), attr('k8s.pod.name', 'inference-7d9c8b6f5-x2k4p'), attr('k8s.pod.label.app', 'inference')] },
      scopeLogs: [{ scope: {}, logRecords }],
    }],
  });
  return { text, records: logRecords.length };
}

function heapMiB(): number {
  return process.memoryUsage().heapUsed / MIB;
}

describe('memory under amplification attacks', () => {
  it('a 1 MiB OTLP batch of ~5,600 late records costs kilobytes of dead letters, not gigabytes of heap', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-amp-'));
    const file = new DeadLetterFile(join(dir, 'dead-letters.ndjson'), () => T0);
    const p = new Pipeline([], [], { ...DEFAULT_PIPELINE_OPTIONS, collect: false }, {
      deadLetters: file, ledger: { append: () => undefined, flush: () => Promise.resolve() },
    }, {}, { clock: new ManualClock(T0) });
    for (let i = 0; i < 600; i++) p.ingest(shipped(T0 + i * 1000, i), { source: 'logs', position: i });
    const { text, records } = lateBatch();
    expect(records).toBeGreaterThan(5500);
    const before = heapMiB();
    const started = performance.now();
    for (let round = 0; round < 3; round++) p.ingest(text, { source: 'logs', position: 600 + round });
    const grown = heapMiB() - before;
    await file.flush();
    // Stated bound: three such batches (~17,000 late records) grow the heap by less than 64 MiB
    // (one whole copy per record was 3 x 6.6 GB), in well under ten seconds.
    expect(grown).toBeLessThan(64);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(p.counters.late).toBe(3 * records);
    const letters = (await readFile(join(dir, 'dead-letters.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { raw?: string; rawSha256: string; rawBytes: number });
    expect(letters).toHaveLength(3 * records);
    // One raw copy per message, a bounded prefix; the other letters name it by hash.
    expect(letters.filter((l) => l.raw !== undefined)).toHaveLength(3);
    expect(Math.max(...letters.map((l) => l.raw?.length ?? 0))).toBeLessThanOrEqual(4096);
    expect(new Set(letters.map((l) => l.rawSha256)).size).toBe(1);
    expect(letters[0]?.rawBytes).toBe(Buffer.byteLength(text));
  });

  it('a 10 MiB line and 300 garbage lines of ~1 MiB go through a run with bounded heap and dead letters', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-amp-'));
    const config = join(dir, 'config');
    // No detector or playbook: this is about the input path.
    await mkdir(config);
    const input = join(dir, 'hostile.log');
    const out = createWriteStream(input);
    const garbage = 'x'.repeat(MIB - 100);
    const huge = `{"log":"${'y'.repeat(10 * MIB)}"}`;
    const write = (s: string) => new Promise<void>((done) => { if (out.write(s)) done(); else out.once('drain', () => { done(); }); });
    await write(`${huge}\n`);
    for (let i = 0; i < 300; i++) await write(`${i} ${garbage}\n`);
    await new Promise<void>((done) => out.end(done));

    const before = heapMiB();
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, heapMiB() - before); }, 5);
    const started = performance.now();
    const report = await runEmbedded({ input, configPaths: [config], stateDir: join(dir, 'state') }, { clock: new ManualClock(T0), logger: silentLogger() });
    clearInterval(sampler);
    peak = Math.max(peak, heapMiB() - before);
    // Stated bound: the heap grows by less than 160 MiB while ~310 MiB of hostile input passes
    // (the old sink held every line whole until 50,000 lines had gone by).
    expect(peak).toBeLessThan(160);
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(report.records).toBe(301);
    expect(report.deadLettered).toBe(301);
    const letters = (await readFile(report.deadLetterFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { raw?: string; code: string });
    expect(letters).toHaveLength(301);
    expect(letters[0]?.code).toBe('oversized');
    expect(Math.max(...letters.map((l) => l.raw?.length ?? 0))).toBeLessThanOrEqual(4096);
  });
});
