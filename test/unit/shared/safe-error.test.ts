import { inspect } from 'node:util';
import NodeVault from 'node-vault';
import { describe, expect, it } from 'vitest';
import { describeSafely, safeError, SafeError, scrubMessage } from '../../../src/shared/safe-error.js';
import { closedPort } from '../../adversarial/serve-process.js';

const TOKEN = 'hvs.MARKER-vault-token-5b1e';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.MARKER-service-account-jwt.c2ln';

/** What node-vault (axios) throws for a login against a closed port: the request, token and JWT included. */
async function failedVaultLogin(): Promise<unknown> {
  const vault = NodeVault({ apiVersion: 'v1', endpoint: `http://127.0.0.1:${await closedPort()}`, token: TOKEN });
  try {
    await vault.kubernetesLogin({ role: 'meshwarden', jwt: JWT });
  } catch (error) {
    return error;
  }
  throw new Error('the login did not fail');
}

describe('safeError', () => {
  it('rebuilds a failed Vault login without the token or the JWT the original carries', async () => {
    const original = await failedVaultLogin();
    // The premise: printed as it is, the client's error leaks both.
    expect(inspect(original, { depth: 10 })).toContain(TOKEN);
    const safe = safeError(original);
    for (const printed of [inspect(safe, { depth: 10 }), JSON.stringify(safe), String(safe), safe.stack ?? '', describeSafely(original)]) {
      expect(printed).not.toContain(TOKEN);
      expect(printed).not.toContain(JWT);
    }
    expect(safe).toMatchObject({ code: 'ECONNREFUSED', retriable: true });
    expect(describeSafely(original)).toMatch(/ECONNREFUSED/);
  });

  it('keeps the class name, code, HTTP status and a sanitised cause chain', () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:9092'), { code: 'ECONNREFUSED', socket: { token: TOKEN } });
    class KafkaJSConnectionError extends Error {
      readonly retriable = true;
    }
    const wrapped = new KafkaJSConnectionError('Connection error', { cause: socket });
    const top = Object.assign(new Error('Request failed with status code 403'), {
      name: 'AxiosError', response: { status: 403, headers: { 'X-Vault-Token': TOKEN }, config: { data: JWT } }, config: { headers: { 'X-Vault-Token': TOKEN } }, cause: wrapped,
    });
    const safe = safeError(top);
    expect(safe.name).toBe('AxiosError');
    expect(safe.status).toBe(403);
    expect(safe.retriable).toBe(true);
    const cause = safe.cause;
    expect(cause).toBeInstanceOf(SafeError);
    expect((cause as SafeError).name).toBe('KafkaJSConnectionError');
    expect(((cause as SafeError).cause as SafeError).code).toBe('ECONNREFUSED');
    expect(inspect(safe, { depth: 20 })).not.toContain(TOKEN);
    expect(JSON.stringify(safe)).not.toContain(JWT);
  });

  it('treats a 4xx refusal as not retriable and a 5xx or 429 as retriable', () => {
    expect(safeError(Object.assign(new Error('denied'), { response: { statusCode: 403 } })).retriable).toBe(false);
    expect(safeError(Object.assign(new Error('sealed'), { response: { statusCode: 503 } })).retriable).toBe(true);
    expect(safeError(Object.assign(new Error('slow down'), { statusCode: 429 })).retriable).toBe(true);
  });

  it('bounds a cause chain that loops back on itself', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(describeSafely(a)).toBe('a: b');
  });
});

describe('scrubMessage', () => {
  it('drops URL credentials, query strings and bearer values, and keeps one line', () => {
    const message = `GET https://svc:${TOKEN}@vault.example:8200/v1/sys?token=${TOKEN}#frag failed\nAuthorization: Bearer ${JWT}`;
    const scrubbed = scrubMessage(message);
    expect(scrubbed).not.toContain(TOKEN);
    expect(scrubbed).not.toContain(JWT);
    expect(scrubbed).toBe('GET https://vault.example:8200/v1/sys failed Authorization: Bearer [REDACTED]');
  });

  it('cuts a message that quotes a body', () => {
    expect(scrubMessage(`HTTP-Code: 500 Body: ${'x'.repeat(5_000)}`).length).toBeLessThanOrEqual(303);
  });
});
