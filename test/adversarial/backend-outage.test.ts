/**
 * A broker that is down (or was taken down) must not take the engine with it: `meshwarden serve`
 * retries with backoff, says why it is not ready, keeps its health probe up and stops cleanly on
 * SIGTERM, without a stack trace.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, startServe, type ServeProcess } from './serve-process.js';

let serve: ServeProcess | undefined;

afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
});

describe('meshwarden serve with Kafka unreachable', () => {
  it('retries with backoff, reports through /readyz, keeps /healthz up, and stops cleanly on SIGTERM', async () => {
    const broker = `127.0.0.1:${await closedPort()}`;
    const running = (serve = await startServe({ kafka: { brokers: [broker] } }));
    // Two attempts, then stop: the test stays bounded whatever the backoff.
    expect(await running.waitForOutput(/connecting to Kafka failed \(attempt 2\)/, 30_000)).toBe(true);

    const health = await fetch(`${running.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${running.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { ready: boolean; checks: Record<string, string> };
    expect(body.ready).toBe(false);
    expect(body.checks.kafka).toMatch(/^unreachable \(attempt \d+\): Kafka \(127\.0\.0\.1:\d+\): .*ECONNREFUSED/);

    const stopped = await running.stop('SIGTERM', 20_000);
    expect(stopped).toMatchObject({ code: 0, killed: false });

    const lines = running.output().trim().split('\n');
    // Every line is a structured log record: no stack trace, no raw error dump.
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    const attempts = lines.map((line) => JSON.parse(line) as { msg: string; attempt?: number; retryInMs?: number })
      .filter((record) => record.msg.startsWith('connecting to Kafka failed'));
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[0]?.attempt).toBe(1);
    // Backoff: the second wait is longer than the first's fixed half.
    expect(attempts[1]?.retryInMs).toBeGreaterThan(1_000);
    expect(running.output()).not.toMatch(/\n\s+at /);
  }, 90_000);

  it('ends with one line naming the cause when the configuration cannot work, not a stack trace', async () => {
    const running = (serve = await startServe({ kafka: { brokers: ['127.0.0.1:1'] }, coordination: { claims: 'kubernetes' } }, {}, { waitForHealth: false }));
    const exit = await running.exited;
    expect(exit.code).toBe(2);
    expect(running.output()).toMatch(/coordination\.claims/);
    expect(running.output()).not.toMatch(/\n\s+at /);
  }, 60_000);
});
