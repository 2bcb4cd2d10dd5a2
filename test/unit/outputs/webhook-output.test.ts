import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOutputs, readWebhookSecret } from '../../../src/outputs/build-outputs.js';
import type { IncidentView } from '../../../src/outputs/incident-sink.js';
import { OutputDeadLetters } from '../../../src/outputs/output-dead-letters.js';
import { outputsConfigSchema, webhookOutputSchema } from '../../../src/outputs/outputs-config.js';
import { WebhookOutput } from '../../../src/outputs/webhook-output.js';
import type { WebhookPayload } from '../../../src/outputs/webhook-payload.js';
import { verifyWebhookSignature } from '../../../src/outputs/webhook-signature.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { ConfigError } from '../../../src/shared/errors.js';
import { createLogger, silentLogger } from '../../../src/shared/logger.js';
import { Secret } from '../../../src/shared/secret.js';
import { startReceiver, type Receiver } from '../../env/http-receiver.js';

const SECRET = 'c2f6a1d0e9b8473a9f2e5d4c3b2a1908-webhook-signing-key';
const dirs: string[] = [];
const receivers: Receiver[] = [];

afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-webhook-'));
  dirs.push(dir);
  return dir;
}

function incident(overrides: Partial<IncidentView> = {}): IncidentView {
  const anomaly = {
    id: 'a1', detector: 'egress-spike', severity: 'critical' as const, score: 0.97, windowStart: 1_796_000_000_000, windowEnd: 1_796_000_060_000,
    evidence: [{ feature: 'egress_bytes', observed: 5e6, expected: 1e5, spread: 1e5, score: 0.97 }],
  };
  return {
    id: '14f3ac21fc9feec4', entity: { key: 'pod:ml-prod/uploader-1', kind: 'pod', namespace: 'ml-prod', name: 'uploader-1', pod: 'uploader-1', workload: 'uploader' },
    openedAt: anomaly.windowStart, lastSeen: anomaly.windowEnd, detectors: ['egress-spike'], anomalies: 1, maxScore: 0.97,
    first: anomaly, latest: anomaly, playbooks: ['quarantine-on-exfiltration'], ...overrides,
  };
}

async function setup(statuses: readonly number[], options: { maxAttempts?: number; logs?: string[] } = {}) {
  const receiver = await startReceiver(statuses);
  receivers.push(receiver);
  const clock = new ManualClock(Date.now());
  const metrics = createMetrics();
  const deadLetters = new OutputDeadLetters(join(tempDir(), 'webhook-dead-letters.ndjson'), 1 << 20, clock);
  const config = webhookOutputSchema.parse({ enabled: true, url: `${receiver.url}/hooks/meshwarden`, secretFile: '/unused', maxAttempts: options.maxAttempts ?? 3 });
  const logs = options.logs;
  const logger = logs ? createLogger({ level: 'debug', destination: { write: (line: string) => { logs.push(line); } } }) : silentLogger();
  const out = new WebhookOutput({ ...config, url: `${receiver.url}/hooks/meshwarden` }, {
    secret: new Secret(SECRET), deadLetters, clock, logger, metrics, externalUrl: 'https://soc.example.com',
    retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: options.maxAttempts ?? 3 },
  });
  return { receiver, clock, metrics, deadLetters, out };
}

async function outcomes(metrics: ReturnType<typeof createMetrics>): Promise<Record<string, number>> {
  const counted = await metrics.outputDeliveries.get();
  return Object.fromEntries(counted.values.filter((v) => v.labels.output === 'webhook').map((v) => [String(v.labels.outcome), v.value]));
}

describe('signed webhook output', () => {
  it('posts opened, updated and closed as JSON a receiver verifies with the shared secret and the timestamp', async () => {
    const { receiver, out } = await setup([]);
    out.opened(incident());
    await out.idle();
    out.updated(incident({ anomalies: 2 }));
    await out.idle();
    out.closed(incident({ anomalies: 2 }));
    await out.idle();
    expect(receiver.requests.map((r) => [r.path, r.headers['x-meshwarden-event']])).toEqual([
      ['/hooks/meshwarden', 'incident.opened'], ['/hooks/meshwarden', 'incident.updated'], ['/hooks/meshwarden', 'incident.closed'],
    ]);
    const now = Math.floor(Date.now() / 1000);
    for (const request of receiver.requests) {
      const headers = { signature: request.headers['x-meshwarden-signature'] as string, timestamp: request.headers['x-meshwarden-timestamp'] as string };
      expect(verifyWebhookSignature(new Secret(SECRET), headers, request.body, now)).toEqual({ ok: true });
      // The attacker's tries: another key, a changed body, a replay an hour later.
      expect(verifyWebhookSignature(new Secret('another-secret-of-enough-length-000000'), headers, request.body, now)).toEqual({ ok: false, why: 'mismatch' });
      expect(verifyWebhookSignature(new Secret(SECRET), headers, request.body.replace('critical', 'info'), now)).toEqual({ ok: false, why: 'mismatch' });
      expect(verifyWebhookSignature(new Secret(SECRET), headers, request.body, now + 3_600)).toEqual({ ok: false, why: 'stale' });
      expect(verifyWebhookSignature(new Secret(SECRET), { ...headers, timestamp: String(Number(headers.timestamp) + 1) }, request.body, now)).toEqual({ ok: false, why: 'mismatch' });
    }
    const closed = JSON.parse(receiver.requests[2]?.body ?? '') as WebhookPayload;
    expect(closed).toMatchObject({
      version: 1, event: 'incident.closed', deliveryId: '14f3ac21fc9feec4.closed.2',
      incident: { id: '14f3ac21fc9feec4', severity: 'critical', anomalies: 2, playbooks: ['quarantine-on-exfiltration'], link: 'https://soc.example.com/incidents/14f3ac21fc9feec4' },
    });
    expect(closed.incident.closedAt).toBeDefined();
  });

  it('retries a failing receiver with backoff and delivers once it answers', async () => {
    const { receiver, metrics, out, deadLetters } = await setup([503, 500]);
    out.opened(incident());
    await out.idle();
    expect(receiver.requests).toHaveLength(3);
    // Every attempt is signed afresh, so a retry is never stale at the receiver.
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    expect(await outcomes(metrics)).toEqual({ retried: 2, delivered: 1 });
    expect(() => readFileSync(deadLetters.path)).toThrow();
  });

  it('dead-letters the body with the reason after the last try, and does not retry a refusal (4xx)', async () => {
    const { receiver, metrics, out, deadLetters } = await setup([503, 503, 503, 400]);
    out.opened(incident());
    await out.idle();
    out.closed(incident());
    await out.idle();
    expect(receiver.requests).toHaveLength(4);
    const letters = readFileSync(deadLetters.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { output: string; reason: string; body: string });
    expect(letters.map((l) => [l.output, l.reason, (JSON.parse(l.body) as WebhookPayload).event])).toEqual([
      ['webhook', `POST ${receiver.url}/hooks/meshwarden: HTTP 503: receiver says no`, 'incident.opened'],
      ['webhook', `POST ${receiver.url}/hooks/meshwarden: HTTP 400: receiver says no`, 'incident.closed'],
    ]);
    expect(await outcomes(metrics)).toEqual({ retried: 2, 'dead-lettered': 2 });
  });

  it('dead-letters what is still queued when the engine stops', async () => {
    const { out, deadLetters } = await setup(Array.from({ length: 50 }, () => 503), { maxAttempts: 20 });
    out.opened(incident());
    out.closed(incident());
    await out.stop();
    const reasons = readFileSync(deadLetters.path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { reason: string }).reason);
    expect(reasons).toEqual(['the engine stopped before it was delivered', 'the engine stopped before it was delivered']);
  });

  it('never writes the signing secret to a log line, however the receiver fails', async () => {
    const logs: string[] = [];
    const { out, receiver } = await setup([401, 503, 503, 503], { logs });
    out.opened(incident());
    await out.idle();
    out.updated(incident({ anomalies: 3 }));
    await out.idle();
    await receiver.close();
    // A receiver that is gone: connection refused on every try.
    out.closed(incident());
    await out.idle();
    expect(logs.length).toBeGreaterThan(3);
    const text = logs.join('');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET.slice(0, 12));
    // Nor the signature, from which the secret's use could be replayed.
    for (const request of receiver.requests) expect(text).not.toContain(String(request.headers['x-meshwarden-signature']));
  });

  it('refuses at start a secret file that is missing or shorter than 32 bytes, and a URL with credentials', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'short'), 'too-short\n');
    await expect(readWebhookSecret(join(dir, 'short'))).rejects.toThrow(/shorter than 32 bytes/);
    await expect(readWebhookSecret(join(dir, 'absent'))).rejects.toThrow(ConfigError);
    writeFileSync(join(dir, 'good'), `${SECRET}\n`);
    expect((await readWebhookSecret(join(dir, 'good'))).reveal()).toBe(SECRET);
    const parsed = outputsConfigSchema.safeParse({ webhook: { enabled: true, url: 'https://user:pass@hooks.example.com/x', secretFile: join(dir, 'good') } });
    expect(parsed.success).toBe(false);
    const noSecret = outputsConfigSchema.safeParse({ webhook: { enabled: true, url: 'https://hooks.example.com/x' } });
    expect(noSecret.error?.issues.map((i) => i.message)).toEqual(['secretFile is required when the webhook output is enabled: deliveries are always signed']);
    const outputs = await buildOutputs(outputsConfigSchema.parse({ webhook: { enabled: true, url: 'https://hooks.example.com/x', secretFile: join(dir, 'good') } }), {
      clock: new ManualClock(0), logger: silentLogger(), metrics: createMetrics(), stateDir: dir, resolveAfterMs: 600_000, instance: 'test',
    });
    expect(outputs.webhook).toBeDefined();
    expect(outputs.alertmanager).toBeUndefined();
    await outputs.stop();
  });
});
