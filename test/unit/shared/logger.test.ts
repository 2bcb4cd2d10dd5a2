import { describe, expect, it } from 'vitest';
import { createLogger, redactForLog } from '../../../src/shared/logger.js';
import { Secret } from '../../../src/shared/secret.js';

const MARKER = 'MARKER-7f3a-secret-value';

/** A logger writing into an array of parsed JSON lines. */
function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  return { logger: createLogger({ destination: { write: (line: string) => { chunks.push(line); } } }), text: () => chunks.join('') };
}

describe('log redaction', () => {
  it('redacts capitalised credential headers nested deep in a client error', () => {
    const { logger, text } = capture();
    const error = Object.assign(new Error('getaddrinfo ENOTFOUND vault.invalid'), {
      code: 'ENOTFOUND',
      config: { headers: { 'X-Vault-Token': MARKER, Authorization: `Bearer ${MARKER}` }, data: JSON.stringify({ jwt: MARKER }) },
      request: { _header: `POST /v1/auth/kubernetes/login\r\nX-Vault-Token: ${MARKER}\r\n` },
    });
    logger.error({ err: error, attempt: 1 }, 'login failed');
    logger.warn({ context: { deeper: { still: { headers: { 'x-VAULT-token': MARKER, Cookie: MARKER } } } } }, 'nested');
    logger.error(error, 'as the first argument');
    const out = text();
    expect(out).toContain('login failed');
    expect(out).toContain('ENOTFOUND');
    expect(out).not.toContain(MARKER);
  });

  it('redacts secret-named keys at any depth and any case, and leaves other keys readable', () => {
    const logged = redactForLog({
      slack: { botToken: MARKER, SIGNING_SECRET: MARKER, nested: [{ Password: MARKER }, { apiKey: MARKER }] },
      kafka: { sasl: { mechanism: 'plain', username: 'u', password: MARKER } },
      secretPath: 'db/creds/app', tokenCount: 3, typed: new Secret(MARKER),
    });
    expect(JSON.stringify(logged)).not.toContain(MARKER);
    expect(logged).toMatchObject({ secretPath: 'db/creds/app', tokenCount: 3, typed: '[REDACTED]' });
  });

  it('bounds depth, width and cycles instead of walking a hostile object', () => {
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let i = 0; i < 1_000; i++) cursor = (cursor.next = {});
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const out = JSON.stringify(redactForLog({ deep, wide, cyclic }));
    expect(out.length).toBeLessThan(10_000);
    expect(out).toContain('[Circular]');
    expect(out).toContain('[Object]');
  });
});
