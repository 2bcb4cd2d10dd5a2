/**
 * `npm run fuzz`: a bounded hostile run. Feeds at least 1,000,000 hostile records (FUZZ_RECORDS)
 * through the embedded pipeline with the shipped detectors and playbooks (dry-run, the real
 * dead-letter file and ledger in a temporary state directory), from a seeded PRNG (FUZZ_SEED), and
 * prints: records fed, crashes, records accounted (parsed + dead-lettered == read), peak RSS.
 *
 * The mix: random bytes and control characters, lines past the 1 MiB limit, deeply nested JSON,
 * truncated Fluent Bit envelopes, far-future and far-past timestamps, OTLP batches of hundreds of
 * late records, terminal escapes in client-written fields, spoofed X-Forwarded-For, thousands of
 * distinct sources and client addresses, and ordinary traffic between them so windows close and
 * detectors score. Then a flood of 1,000,000 distinct client addresses (FUZZ_SOURCES) through the
 * ingress gateway, each a principal the bounded entity tables must evict in O(1). Autoencoder
 * detectors are left out: their training is measured by `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../src/app.js';
import { Ledger } from '../src/audit/ledger.js';
import { loadConfig } from '../src/config/load-config.js';
import { ManualClock } from '../src/shared/clock.js';
import { seededRandom } from '../src/shared/random.js';
import { DeadLetterFile } from '../src/sources/dead-letter-file.js';

const TARGET = Number(process.env.FUZZ_RECORDS ?? 1_000_000);
const SEED = Number(process.env.FUZZ_SEED ?? 11);
/** Distinct client addresses of the flood that follows the hostile mix (at most 4,194,304: 100.64.0.0/10). */
const SOURCES = Math.min(Number(process.env.FUZZ_SOURCES ?? 1_000_000), 1 << 22);
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const random = seededRandom(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (n: number): number => Math.floor(random() * n);

/** Event time of the ordinary traffic: ten records a second. */
let now = T0;

function accessLog(at: number, opts: { xff?: string; path?: string; ua?: string; client?: string; gateway?: boolean } = {}): string {
  const iso = Number.isFinite(at) && Math.abs(at) < 8.64e15 ? new Date(at).toISOString() : '9999-12-31T23:59:59.999Z';
  const code = pick([200, 200, 200, 401, 403, 500, 503]);
  return `[${iso}] "GET ${opts.path ?? '/v1/score'} HTTP/1.1" ${code} - via_upstream - "${opts.xff ?? '-'}" ${int(5000)} ${int(500_000)} ${int(900)} ${int(900)} "-" "${opts.ua ?? 'sdk/1.0'}" "r-${int(1e9)}" "inference:8080" "10.42.2.10:8080" inbound|8080|| 127.0.0.6:1 10.42.2.10:8080 ${opts.client ?? `10.42.1.${int(250)}`}:5 - default`;
}

function shipped(text: string, gateway = false): string {
  const pod = gateway ? 'istio-ingressgateway-5d9f8c7b6-abcde' : 'inference-7d9c8b6f5-x2k4p';
  const labels = gateway ? { istio: 'ingressgateway', app: 'istio-ingressgateway' } : { app: 'inference' };
  return JSON.stringify({ log: text, kubernetes: { namespace_name: gateway ? 'istio-system' : 'ml-prod', pod_name: pod, labels } });
}

function randomBytes(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(int(random() < 0.2 ? 32 : 0x3000));
  return s;
}

function otlpBatch(records: number, at: number): string {
  const logRecords = Array.from({ length: records }, (_, i) => ({ timeUnixNano: `${BigInt(at + i) * 1_000_000n}`, body: { stringValue: accessLog(at + i) } }));
  return JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'k8s.namespace.name', value: { stringValue: 'ml-prod' } }, { key: 'k8s.pod.name', value: { stringValue: 'inference-7d9c8b6f5-x2k4p' } }] }, scopeLogs: [{ logRecords }] }] });
}

const HUGE = 'h'.repeat(1024 * 1024 + 10);
const DEEP = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
const DEEP_OBJECT = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;

/** One hostile message; returns it with the source it claims to come from. */
function hostile(i: number): { text: string; source: string } {
  now += 100;
  const source = random() < 0.05 ? `source-${int(20_000)}` : 'mesh';
  if (i % 50_000 === 7) return { text: HUGE, source };
  if (i % 20_000 === 3) return { text: random() < 0.5 ? DEEP : DEEP_OBJECT, source };
  const roll = random();
  if (roll < 0.35) return { text: shipped(accessLog(now)), source };
  if (roll < 0.45) return { text: shipped(accessLog(now, { xff: `${int(256)}.${int(256)}.${int(256)}.${int(256)}, 10.0.0.${int(9)}`, client: `198.51.100.${int(250)}` }), true), source };
  if (roll < 0.52) return { text: randomBytes(50 + int(400)), source };
  if (roll < 0.57) return { text: shipped(accessLog(now, { path: `/\u001b[2J\u001b[31mFORGED\n${randomBytes(20)}`, ua: '\u0007\u009b\r\n' })), source };
  if (roll < 0.62) {
    const whole = shipped(accessLog(now));
    return { text: whole.slice(0, int(whole.length)), source };
  }
  if (roll < 0.67) return { text: shipped(accessLog(Date.UTC(9999, 11, 31) - int(1e12))), source };
  if (roll < 0.72) return { text: shipped(accessLog(Date.UTC(1970 + int(50), 0, 1))), source };
  if (roll < 0.75) return { text: `{"schema":"model_telemetry.v1","ts":"${new Date(now).toISOString()}","kind":"request","model":{"name":"m${int(5000)}"},"prediction":{"confidence":${random() < 0.5 ? random() : '"NaN"'}}}`, source };
  if (roll < 0.78) return { text: `{"log":${JSON.stringify(randomBytes(200))},"kubernetes":{"pod_name":"${randomBytes(5)}","namespace_name":7}}`, source };
  if (roll < 0.79) return { text: '', source };
  return { text: shipped(accessLog(now - int(120_000))), source };
}

async function main(): Promise<void> {
  const config = await loadConfig(['detectors', 'playbooks']);
  if (config.problems.length > 0) throw new Error(`config problems: ${config.problems.length}`);
  const detectors = config.detectors.map((d) => d.value).filter((d) => d.spec.autoencoder === undefined);
  const playbooks = config.playbooks.map((p) => p.value);
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-fuzz-'));
  const clock = new ManualClock(T0);
  const ledger = await Ledger.open(join(dir, 'audit'), clock);
  const deadLetters = new DeadLetterFile(join(dir, 'dead-letters.ndjson'), () => clock.now());
  const pipeline = new Pipeline(detectors, playbooks, { ...DEFAULT_PIPELINE_OPTIONS, collect: false }, { deadLetters, ledger }, {}, { clock });
  const started = performance.now();
  let crashes = 0;
  let fed = 0;
  for (let i = 0; pipeline.counters.records < TARGET; i++) {
    const { text, source } = i % 2_000 === 11 ? { text: otlpBatch(300 + int(700), Date.UTC(2001, 0, 1)), source: 'mesh' } : hostile(i);
    try {
      pipeline.ingest(text, { source, position: i });
    } catch (error) {
      crashes++;
      if (crashes <= 3) process.stderr.write(`crash at message ${i}: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    fed++;
    if (deadLetters.full || i % 50_000 === 0) await Promise.all([deadLetters.flush(), ledger.flush()]);
  }
  const hostileSeconds = (performance.now() - started) / 1000;
  const hostileRecords = pipeline.counters.records;

  // Then a flood of distinct client addresses through the ingress gateway: each one a principal the
  // engine must track, evict in O(1) and forget, at the cap, never past it.
  const floodStarted = performance.now();
  let mostTracked = 0;
  for (let j = 0; j < SOURCES; j++) {
    const client = `100.${64 + (j >>> 16)}.${(j >>> 8) & 255}.${j & 255}`;
    now += 10;
    try {
      pipeline.ingest(shipped(accessLog(now, { client, xff: client }), true), { source: 'mesh', position: fed });
    } catch (error) {
      crashes++;
      if (crashes <= 3) process.stderr.write(`crash at flood line ${j}: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    fed++;
    if (j % 10_000 === 0) {
      mostTracked = Math.max(mostTracked, pipeline.trackedEntities);
      if (deadLetters.full || j % 100_000 === 0) await Promise.all([deadLetters.flush(), ledger.flush()]);
    }
  }
  const floodSeconds = (performance.now() - floodStarted) / 1000;
  pipeline.finish();
  await Promise.all([deadLetters.flush(), ledger.flush()]);
  const seconds = (performance.now() - started) / 1000;
  const c = pipeline.counters;
  const accounted = c.parsed + c.deadLettered;
  const peakRss = process.resourceUsage().maxRSS / 1024;
  const out = [
    `fuzz seed ${SEED}: ${fed.toLocaleString('en-US')} messages fed, ${c.records.toLocaleString('en-US')} records read in ${seconds.toFixed(1)} s`,
    `  hostile mix: ${hostileRecords.toLocaleString('en-US')} records in ${hostileSeconds.toFixed(1)} s`,
    `  address flood: ${SOURCES.toLocaleString('en-US')} distinct client addresses in ${floodSeconds.toFixed(1)} s, entities tracked at most ${mostTracked.toLocaleString('en-US')} (cap ${DEFAULT_PIPELINE_OPTIONS.features.maxEntities.toLocaleString('en-US')})`,
    `crashes: ${crashes}`,
    `records accounted: ${((accounted / c.records) * 100).toFixed(2)}% (${c.parsed.toLocaleString('en-US')} parsed + ${c.deadLettered.toLocaleString('en-US')} dead-lettered == ${c.records.toLocaleString('en-US')} read)`,
    `dead letters by code: ${Object.entries(deadLetters.counts()).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}`,
    `late ${c.late.toLocaleString('en-US')}, future ${c.future.toLocaleString('en-US')}, windows scored ${c.windows.toLocaleString('en-US')}, entities tracked at the end ${pipeline.trackedEntities.toLocaleString('en-US')}`,
    `peak RSS: ${peakRss.toFixed(0)} MiB`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  rmSync(dir, { recursive: true, force: true });
  if (crashes > 0 || accounted !== c.records) process.exitCode = 1;
}

await main();
