import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_HOURS,
  DEFAULT_SEED,
  DEFAULT_START,
  type RecordingResult,
  generateRecording,
} from '../../../scripts/recording/recording-generator.js';
import { ATTACKER_IP, EXFIL_IP, EXFIL_SNI } from '../../../scripts/recording/topology.js';
import {
  type AccessView,
  ISTIO_JSON_KEYS,
  type LineMeta,
  PROXY_APP_LOG,
  ShapeError,
  parseAccessLine,
  readMessage,
} from './recording-inspector.js';

const run = promisify(execFile);
const SCRIPT = resolve('scripts/generate-recording.ts');

function runCli(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { maxBuffer: 1 << 20 });
}

describe('generate-recording CLI', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('writes byte-identical files for the same seed, and different ones for another seed', async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), 'recording-'))));
    if (a === undefined || b === undefined || c === undefined) throw new Error('mkdtemp failed');
    dirs.push(a, b, c);
    await runCli(['--out', join(a, 'mesh.ndjson'), '--seed', '7', '--hours', '2']);
    await runCli(['--out', join(b, 'mesh.ndjson'), '--seed', '7', '--hours', '2']);
    await runCli(['--out', join(c, 'mesh.ndjson'), '--seed', '8', '--hours', '2']);
    const [meshA, meshB, meshC] = await Promise.all([a, b, c].map((d) => readFile(join(d, 'mesh.ndjson'))));
    const [incA, incB] = await Promise.all([a, b].map((d) => readFile(join(d, 'incidents.json'))));
    expect(meshA?.length).toBeGreaterThan(1_000_000);
    expect(meshA?.equals(meshB ?? Buffer.alloc(0))).toBe(true);
    expect(incA?.equals(incB ?? Buffer.alloc(0))).toBe(true);
    expect(meshA?.equals(meshC ?? Buffer.alloc(0))).toBe(false);
  }, 120_000);

  it('rejects bad options with exit code 2, naming every bad option', async () => {
    const failure = await runCli(['--seed', 'x', '--hours=-1', '--out', '/dev/null']).then(
      () => undefined,
      (error: unknown) => error as { code?: number; stderr?: string },
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('--seed must be an integer');
    expect(failure?.stderr).toContain('--hours must be a number');
  }, 60_000);
});

/** Pod identity learnt from envelopes: raw lines carry none, so their pod is found by its address. */
interface PodRef {
  readonly pod: string;
  readonly app: string | undefined;
}

/** What the full default recording contains, collected in one streaming pass. */
interface Observed {
  readonly messages: Map<string, number>;
  readonly problems: string[];
  proxyAppLines: number;
  readonly pods: Set<string>;
  readonly podsByIp: Map<string, PodRef>;
  /** request id -> lines carrying it: the client's upstream local address, the server's downstream remote one. */
  readonly requests: Map<string, { n: number; clientUla?: string; serverDra?: string; single?: string }>;
  maxDisorderMs: number;
  readonly gatewayHourly: number[];
  readonly gatewayLogins: { t: number; xff: string; code: number }[];
  /** Outbound sidecar lines (HTTP and TCP), by the address of the pod that logged them. */
  readonly outbound: { t: number; ip: string; cluster: string; code: number; sni: string; host: string; bytesUp: number; tcp: boolean }[];
  readonly featureStoreInbound: { t: number; code: number; flags: string }[];
  readonly inferenceInbound: { t: number; durationMs: number; ust: string }[];
  readonly activityByIp: Map<string, { first: number; last: number }>;
  readonly telemetry: Record<string, unknown>[];
  readonly drift: Record<string, unknown>[];
}

const NUMERIC_KEYS = new Set(['response_code', 'bytes_received', 'bytes_sent', 'duration']);

/** Istio's typed JSON: the 24 keys, numbers where Envoy renders numbers, null (never "-") for unset. */
function checkIstioJson(text: string, problem: (message: string) => void): void {
  const entry = JSON.parse(text) as Record<string, unknown>;
  const keys = Object.keys(entry).sort();
  if (keys.join() !== [...ISTIO_JSON_KEYS].sort().join()) problem(`JSON keys ${keys.join()}`);
  for (const [key, value] of Object.entries(entry)) {
    if (NUMERIC_KEYS.has(key)) {
      if (typeof value !== 'number') problem(`${key} is not a number: ${text}`);
    } else if (value !== null && typeof value !== 'string') {
      problem(`${key} is neither a string nor null: ${text}`);
    } else if (value === '-' && key !== 'response_flags') {
      problem(`${key} is "-" instead of null: ${text}`);
    }
  }
}

const ipOf = (address: string): string => address.split(':')[0] ?? '';

function observe(): { result: RecordingResult; seen: Observed } {
  const startMs = Date.parse(DEFAULT_START);
  const seen: Observed = {
    messages: new Map(),
    problems: [],
    proxyAppLines: 0,
    pods: new Set(),
    podsByIp: new Map(),
    requests: new Map(),
    maxDisorderMs: 0,
    gatewayHourly: new Array<number>(DEFAULT_HOURS).fill(0),
    gatewayLogins: [],
    outbound: [],
    featureStoreInbound: [],
    inferenceInbound: [],
    activityByIp: new Map(),
    telemetry: [],
    drift: [],
  };
  let latest = 0;
  const problem = (message: string): void => {
    if (seen.problems.length < 20) seen.problems.push(message);
  };
  const onAccess = (view: AccessView, meta: LineMeta | undefined, text: string): void => {
    if (view.startMs < latest) seen.maxDisorderMs = Math.max(seen.maxDisorderMs, latest - view.startMs);
    latest = Math.max(latest, view.startMs);
    const inbound = view.cluster.startsWith('inbound|') || view.details.startsWith('rbac_access_denied');
    // The logging pod's own address: where it listens (inbound) or where it connects from (outbound).
    const ownIp = ipOf(inbound || view.upstreamLocal === '-' ? view.downstreamLocal : view.upstreamLocal);
    if (meta !== undefined) seen.podsByIp.set(ownIp, { pod: `${meta.namespace}/${meta.pod}`, app: meta.app });
    const activity = seen.activityByIp.get(ownIp);
    if (activity === undefined) seen.activityByIp.set(ownIp, { first: view.startMs, last: view.startMs });
    else activity.last = Math.max(activity.last, view.startMs);
    if (view.requestId !== '-') {
      const entry = seen.requests.get(view.requestId) ?? { n: 0 };
      entry.n++;
      if (inbound) entry.serverDra = view.downstreamRemote;
      else entry.clientUla = view.upstreamLocal;
      entry.single = view.flags === 'NR' ? 'gateway-no-route' : view.cluster.includes('vault.vault') ? 'vault' : text.slice(0, 200);
      seen.requests.set(view.requestId, entry);
    }
    if (view.format === 'json') {
      const hour = Math.floor((view.startMs - startMs) / 3_600_000);
      seen.gatewayHourly[hour] = (seen.gatewayHourly[hour] ?? 0) + 1;
      if (view.path === '/api/v1/login') seen.gatewayLogins.push({ t: view.startMs, xff: view.xff, code: view.code });
      return;
    }
    if (!inbound) {
      seen.outbound.push({
        t: view.startMs,
        ip: ownIp,
        cluster: view.cluster,
        code: view.code,
        sni: view.sni,
        host: view.upstreamHost,
        bytesUp: view.bytesReceived,
        tcp: view.method === '-',
      });
    } else if (view.cluster === 'inbound|6566||' || view.sni.includes('feature-store')) {
      seen.featureStoreInbound.push({ t: view.startMs, code: view.code, flags: view.flags });
    } else if (view.path.startsWith('/v1/models/')) {
      seen.inferenceInbound.push({ t: view.startMs, durationMs: view.durationMs, ust: view.upstreamServiceTime });
    }
  };
  const result = generateRecording({ seed: DEFAULT_SEED, startMs, hours: DEFAULT_HOURS }, (chunk) => {
    for (const value of chunk.split('\n')) {
      if (value === '') continue;
      let message;
      try {
        message = readMessage(value);
      } catch (error) {
        problem(`${error instanceof ShapeError ? error.message : String(error)}: ${value.slice(0, 200)}`);
        continue;
      }
      const kind = message.kind === 'lines' ? message.envelope : message.kind;
      seen.messages.set(kind, (seen.messages.get(kind) ?? 0) + 1);
      if (message.kind !== 'lines') {
        (message.kind === 'model-telemetry' ? seen.telemetry : seen.drift).push(message.record);
        continue;
      }
      for (const line of message.lines) {
        if (line.meta !== undefined) {
          seen.pods.add(`${line.meta.namespace}/${line.meta.pod}`);
          if (line.meta.container !== 'istio-proxy') problem(`container ${line.meta.container}`);
          if (line.meta.namespace !== 'ml-prod' && line.meta.namespace !== 'istio-system') problem(`namespace ${line.meta.namespace}`);
          if (line.meta.app === undefined) problem(`no app for ${line.meta.pod}`);
        }
        if (PROXY_APP_LOG.test(line.text)) {
          seen.proxyAppLines++;
          continue;
        }
        if (line.text.startsWith('{')) checkIstioJson(line.text, problem);
        const view = parseAccessLine(line.text);
        if (view === undefined) problem(`not an access log: ${line.text}`);
        else onAccess(view, line.meta, line.text);
      }
    }
  });
  return { result, seen };
}

const within = (t: number, from: string, to: string): boolean => t >= Date.parse(from) && t < Date.parse(to);
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

describe('the default 48 h recording', () => {
  let result: RecordingResult;
  let seen: Observed;
  beforeAll(() => {
    ({ result, seen } = observe());
  }, 300_000);

  const podOf = (ip: string): string => seen.podsByIp.get(ip)?.pod ?? `unknown pod at ${ip}`;
  const incident = (kind: string): { start: string; end: string; entities: readonly string[] } => {
    const found = result.incidentsFile.incidents.find((x) => x.kind === kind);
    if (found === undefined) throw new Error(`no ${kind} incident`);
    return found;
  };

  it('holds 150k-300k messages, with every envelope and record type present', () => {
    const total = [...seen.messages.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(result.totalMessages);
    expect(total).toBeGreaterThan(150_000);
    expect(total).toBeLessThan(300_000);
    for (const kind of ['fluent-bit', 'vector', 'otlp-json', 'raw', 'model-telemetry', 'drift-metric']) {
      expect(seen.messages.get(kind) ?? 0, kind).toBeGreaterThan(1000);
    }
    expect(seen.messages.get('fluent-bit') ?? 0).toBeGreaterThan(total / 2);
  });

  it('parses every message: envelopes carry namespace, pod, app and istio-proxy, TEXT lines match the §1.3 regex, JSON lines have the 24 typed keys', () => {
    expect(seen.problems).toEqual([]);
    // The only other lines are pilot-agent's start-up and shutdown lines during the restart.
    expect(seen.proxyAppLines).toBe(result.counts.proxyAppLogs);
    expect(seen.proxyAppLines).toBeGreaterThan(0);
  });

  it('logs each mesh request on both sides with one request id, the server seeing the client address', () => {
    let pairs = 0;
    const mismatched: string[] = [];
    const singles = new Map<string, number>();
    for (const [id, entry] of seen.requests) {
      if (entry.n === 2) {
        pairs++;
        if (entry.serverDra === undefined || entry.serverDra !== entry.clientUla) mismatched.push(id);
      } else if (entry.n === 1) {
        singles.set(entry.single ?? '?', (singles.get(entry.single ?? '?') ?? 0) + 1);
      } else {
        mismatched.push(`${id} logged ${entry.n} times`);
      }
    }
    expect(mismatched.slice(0, 5)).toEqual([]);
    expect(pairs).toBeGreaterThan(100_000);
    // Only requests that never reach a recorded sidecar are logged once.
    expect([...singles.keys()].sort()).toEqual(['gateway-no-route', 'vault']);
  });

  it('arrives roughly in time order: a few seconds of disorder, no more', () => {
    expect(seen.maxDisorderMs).toBeGreaterThan(500);
    expect(seen.maxDisorderMs).toBeLessThan(15_000);
  });

  it('follows the time of day: the night trough is about a quarter of the afternoon peak', () => {
    const day1 = seen.gatewayHourly.slice(0, 24);
    const ratio = Math.min(...day1) / Math.max(...day1);
    expect(ratio).toBeGreaterThan(0.15);
    expect(ratio).toBeLessThan(0.4);
  });

  it('schedules seven incidents of 10-30 min on day 2, at least an hour apart', () => {
    const incidents = result.incidentsFile.incidents;
    expect(incidents.map((x) => x.kind)).toEqual([
      'credential-stuffing', 'exfiltration', 'lateral-movement', 'error-storm', 'latency-storm', 'confidence-collapse', 'feature-drift',
    ]);
    const day2 = Date.parse(DEFAULT_START) + 86_400_000;
    let previousEnd = day2;
    for (const x of incidents) {
      const minutes = (Date.parse(x.end) - Date.parse(x.start)) / 60_000;
      expect(minutes).toBeGreaterThanOrEqual(10);
      expect(minutes).toBeLessThanOrEqual(30);
      expect(Date.parse(x.start) - previousEnd).toBeGreaterThanOrEqual(60 * 60_000);
      previousEnd = Date.parse(x.end);
      expect(x.entities.length).toBeGreaterThan(0);
      for (const key of [...x.entities, ...x.related]) {
        const pod = /^pod:(.+)$/.exec(key)?.[1];
        if (pod !== undefined) expect(seen.pods.has(pod), key).toBe(true);
      }
    }
  });

  it('credential stuffing: the attacker address sends hundreds of failed logins inside the window and none outside', () => {
    const x = incident('credential-stuffing');
    expect(x.entities).toContain(`principal:${ATTACKER_IP}`);
    const attacker = seen.gatewayLogins.filter((l) => l.xff === ATTACKER_IP);
    const inside = attacker.filter((l) => within(l.t, x.start, x.end));
    expect(inside.length).toBe(attacker.length);
    expect(inside.length).toBeGreaterThan(500);
    expect(inside.filter((l) => l.code === 401 || l.code === 403).length / inside.length).toBeGreaterThan(0.9);
    // Benign clients fail a login now and then, never in a burst.
    const benignFailures = seen.gatewayLogins.filter((l) => l.xff !== ATTACKER_IP && l.code === 401);
    expect(benignFailures.length).toBeGreaterThan(20);
  });

  it('exfiltration: one inference pod uploads MBs to a destination seen only inside the window', () => {
    const x = incident('exfiltration');
    const tcp = seen.outbound.filter((c) => c.tcp);
    const toExfil = tcp.filter((c) => c.sni === EXFIL_SNI || c.host.startsWith(EXFIL_IP));
    expect(toExfil.length).toBeGreaterThan(20);
    expect(toExfil.every((c) => within(c.t, x.start, x.end))).toBe(true);
    expect(toExfil.every((c) => c.cluster === 'PassthroughCluster' && c.bytesUp > 1_000_000)).toBe(true);
    const pods = new Set(toExfil.map((c) => `pod:${podOf(c.ip)}`));
    expect([...pods]).toEqual([x.entities[0]]);
    expect(tcp.filter((c) => c.cluster === 'PassthroughCluster').length).toBe(toExfil.length);
    expect(x.entities).toContain(`edge:ml-prod/inference -> ${EXFIL_SNI}`);
  });

  it('lateral movement: one frontend pod calls feature-store (403), vault and the API server, only inside the window', () => {
    const x = incident('lateral-movement');
    const usual = new Set(['outbound|8080||inference.ml-prod.svc.cluster.local', 'outbound|8080||auth.ml-prod.svc.cluster.local']);
    const fromFrontend = seen.outbound.filter((l) => seen.podsByIp.get(l.ip)?.app === 'frontend');
    expect(fromFrontend.length).toBeGreaterThan(30_000);
    const unusual = fromFrontend.filter((l) => !usual.has(l.cluster));
    expect(unusual.every((l) => within(l.t, x.start, x.end))).toBe(true);
    expect(new Set(unusual.map((l) => `pod:${podOf(l.ip)}`))).toEqual(new Set([x.entities[0]]));
    const clusters = new Set(unusual.map((l) => l.cluster));
    expect(clusters).toEqual(
      new Set([
        'outbound|6566||feature-store.ml-prod.svc.cluster.local',
        'outbound|8200||vault.vault.svc.cluster.local',
        'outbound|443||kubernetes.default.svc.cluster.local',
      ]),
    );
    const toFeatureStore = unusual.filter((l) => l.cluster.includes('feature-store'));
    expect(toFeatureStore.length).toBeGreaterThan(5);
    expect(toFeatureStore.every((l) => l.code === 403)).toBe(true);
    for (const edge of ['feature-store.ml-prod.svc.cluster.local', 'vault.vault.svc.cluster.local', 'kubernetes.default.svc.cluster.local']) {
      expect(x.entities).toContain(`edge:ml-prod/frontend -> ${edge}`);
    }
  });

  it('error storm: feature-store fails most requests with 503 UF/UC inside the window, almost none outside', () => {
    const x = incident('error-storm');
    const failed = (l: { code: number; flags: string }): boolean => l.code === 503 && (l.flags === 'UF' || l.flags === 'UC');
    const fromInference = seen.featureStoreInbound.filter((l) => l.code !== 403);
    const inside = fromInference.filter((l) => within(l.t, x.start, x.end));
    const outside = fromInference.filter((l) => !within(l.t, x.start, x.end));
    expect(inside.length).toBeGreaterThan(100);
    expect(inside.filter(failed).length / inside.length).toBeGreaterThan(0.7);
    expect(outside.filter(failed).length).toBeGreaterThan(0);
    expect(outside.filter(failed).length / outside.length).toBeLessThan(0.002);
    expect(x.entities).toContain('workload:ml-prod/feature-store');
  });

  it('latency storm: inference takes about 10 times longer inside the window', () => {
    const x = incident('latency-storm');
    const inside = seen.inferenceInbound.filter((l) => within(l.t, x.start, x.end));
    const outside = seen.inferenceInbound.filter((l) => !within(l.t, x.start, x.end));
    const ratio = median(inside.map((l) => l.durationMs)) / median(outside.map((l) => l.durationMs));
    expect(ratio).toBeGreaterThan(7);
    expect(ratio).toBeLessThan(13);
    const ustRatio = median(inside.map((l) => Number(l.ust))) / median(outside.map((l) => Number(l.ust)));
    expect(ustRatio).toBeGreaterThan(7);
    expect(x.entities).toContain('workload:ml-prod/inference');
  });

  it('model telemetry: one interval record per inference pod per minute, counts agreeing with the access logs', () => {
    expect(seen.telemetry.length).toBe(3 * 60 * DEFAULT_HOURS);
    const requests = seen.telemetry.reduce((sum, r) => sum + (r.counts as { requests: number }).requests, 0);
    const endOfRun = Date.parse(result.incidentsFile.end);
    expect(requests).toBe(seen.inferenceInbound.filter((l) => l.t < endOfRun).length);
    const first = seen.telemetry[0] ?? {};
    expect(first).toMatchObject({ schema: 'model_telemetry.v1', kind: 'interval', window_s: 60 });
    expect(first.model).toMatchObject({ name: 'fraud-detector', version: 'v3', serving_system: 'kserve' });
  });

  it('confidence collapse: mean confidence drops from about 0.92 to about 0.45 inside the window only', () => {
    const x = incident('confidence-collapse');
    expect(x.entities).toEqual(['model:ml-prod/fraud-detector@v3']);
    const withConfidence = seen.telemetry.flatMap((r) => {
      const confidence = (r.prediction as { confidence?: number } | undefined)?.confidence;
      // A record covers the minute that ends at its ts.
      const t = Date.parse(String(r.ts)) - 1;
      return confidence === undefined ? [] : [{ t, confidence }];
    });
    const mean = (xs: readonly { confidence: number }[]): number => xs.reduce((s, v) => s + v.confidence, 0) / xs.length;
    const inside = withConfidence.filter((r) => within(r.t, x.start, x.end));
    const outside = withConfidence.filter((r) => !within(r.t, x.start, x.end));
    expect(inside.length).toBeGreaterThan(60);
    expect(mean(inside)).toBeGreaterThan(0.4);
    expect(mean(inside)).toBeLessThan(0.5);
    expect(mean(outside)).toBeGreaterThan(0.9);
    expect(Math.min(...outside.map((r) => r.confidence))).toBeGreaterThan(0.7);
  });

  it('feature drift: PSI of three features crosses 0.2 inside the window; elsewhere it wobbles well under the threshold', () => {
    const x = incident('feature-drift');
    const detected = seen.drift.filter((r) => r.drift_detected === true);
    expect(detected.length).toBe(9);
    expect(new Set(detected.map((r) => r.feature))).toEqual(new Set(['amount', 'merchant_category', 'distance_from_home_km']));
    for (const r of detected) {
      const t = Date.parse(String(r.ts)) - 1;
      expect(within(t, x.start, x.end)).toBe(true);
      expect(Number(r.statistic)).toBeGreaterThanOrEqual(0.3);
      expect(Number(r.statistic)).toBeLessThanOrEqual(0.6);
    }
    const benign = seen.drift.filter((r) => r.drift_detected !== true).map((r) => Number(r.statistic));
    expect(Math.max(...benign)).toBeLessThan(0.15);
    expect(seen.drift[0]).toMatchObject({ schema: 'drift_metric.v1', method: 'psi', tool: 'evidently', threshold: 0.2 });
  });

  it('rolling restart on day 1: the old frontend pods go quiet and the new ones take over', () => {
    const restart = result.incidentsFile.benign[0];
    expect(restart?.kind).toBe('rolling-restart');
    const start = Date.parse(restart?.start ?? '');
    const end = Date.parse(restart?.end ?? '');
    expect(end - start).toBeLessThan(10 * 60_000);
    const frontends = [...seen.activityByIp].filter(([ip]) => seen.podsByIp.get(ip)?.app === 'frontend');
    expect(frontends.length).toBe(6);
    const old = frontends.filter(([, a]) => a.first < start);
    const replaced = frontends.filter(([, a]) => a.first >= start);
    expect(old.length).toBe(3);
    expect(replaced.length).toBe(3);
    for (const [, a] of old) expect(a.last).toBeLessThan(end);
    for (const [, a] of replaced) {
      expect(a.first).toBeLessThan(end + 60_000);
      expect(a.last).toBeGreaterThan(end + 86_400_000 / 2);
    }
    for (const key of restart?.entities ?? []) {
      const pod = /^pod:(.+)$/.exec(key)?.[1];
      if (pod !== undefined) expect(seen.pods.has(pod), key).toBe(true);
    }
  });
});

describe('a denser mesh of the same shape (arrivalsScale)', () => {
  const noon = Date.parse(DEFAULT_START) + 12 * 3_600_000;
  const generate = (arrivalsScale?: number): { result: RecordingResult; text: string } => {
    let text = '';
    const options = { seed: DEFAULT_SEED, startMs: noon, hours: 1 };
    const result = generateRecording(arrivalsScale === undefined ? options : { ...options, arrivalsScale }, (chunk) => {
      text += chunk;
    });
    return { result, text };
  };

  it('is the recording itself at scale 1, and at scale 10 has ten times its requests with the same incidents and formats', () => {
    const plain = generate();
    expect(generate(1).text).toBe(plain.text);
    const dense = generate(10);
    const requests = (r: RecordingResult): number => r.counts.messages['fluent-bit'] + r.counts.messages.vector + r.counts.messages['raw-text'] + r.counts.messages['raw-json'];
    const ratio = requests(dense.result) / requests(plain.result);
    expect(ratio).toBeGreaterThan(8);
    expect(ratio).toBeLessThan(12);
    // The mesh's own records do not grow with its traffic, and the incidents are planned alike.
    expect(dense.result.counts.messages['model-telemetry']).toBe(plain.result.counts.messages['model-telemetry']);
    expect(dense.result.incidentsFile).toEqual(plain.result.incidentsFile);
    for (const kind of ['fluent-bit', 'vector', 'otlp-json', 'raw-text', 'raw-json'] as const) expect(dense.result.counts.messages[kind], kind).toBeGreaterThan(0);
  }, 60_000);
});
