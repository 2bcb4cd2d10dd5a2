import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import vault from 'node-vault';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ActionContext } from '../../../../src/actions/action-context.js';
import { reasonForVaultStatus, vaultActionError, vaultCall, vaultMessage, vaultPath } from '../../../../src/actions/vault/vault-call.js';
import { ManualClock } from '../../../../src/shared/clock.js';
import { silentLogger } from '../../../../src/shared/logger.js';

const TOKEN = 'hvs.unit-test-token-that-must-not-leak';

function context(client: vault.client, signal: AbortSignal): ActionContext {
  return {
    deps: { vault: client, clock: new ManualClock(0), logger: silentLogger() },
    idempotencyKey: 'pb/inc/0',
    playbook: 'pb',
    incidentId: 'inc',
    anomaly: { id: 'a', detector: 'd', severity: 'high', entity: { key: 'k', kind: 'pod', name: 'p' }, score: 0.9, windowStart: 0, windowEnd: 0, evidence: [] },
    signal,
  };
}

/** node-vault's ApiResponseError shape. */
function apiResponseError(statusCode: number, errors: string[]): Error {
  return Object.assign(new Error(errors[0] ?? `Status ${statusCode}`), { response: { statusCode, body: { errors } } });
}

describe('reasonForVaultStatus', () => {
  it.each([
    [400, 'check-and-set parameter did not match the current version', 'conflict'],
    [400, 'invalid request', 'client'],
    [403, 'permission denied', 'auth'],
    [401, '', 'auth'],
    [404, '', 'client'],
    [429, '', 'rate-limited'],
    [412, 'required index state not present', 'server'],
    [503, 'Vault is sealed', 'server'],
    [504, '', 'timeout'],
  ] as const)('maps HTTP %i "%s" to %s', (status, message, reason) => {
    expect(reasonForVaultStatus(status, message)).toBe(reason);
  });
});

describe('vaultActionError', () => {
  it('quotes Vault without its "N errors occurred" wrapping', () => {
    const error = vaultActionError('write secret/data/x', apiResponseError(403, ['1 error occurred:\n\t* permission denied\n\n']));
    expect(error.reason).toBe('auth');
    expect(error.message).toBe('write secret/data/x: HTTP 403 permission denied');
  });

  it('maps a failed check-and-set to a conflict', () => {
    const error = vaultActionError('write', apiResponseError(400, ['check-and-set parameter did not match the current version']));
    expect([error.reason, error.retriable]).toEqual(['conflict', false]);
  });

  it('keeps neither the transport error nor its request configuration, which holds the token', () => {
    const axiosLike = Object.assign(new Error('timeout of 5000ms exceeded'), {
      code: 'ECONNABORTED',
      config: { headers: { 'X-Vault-Token': TOKEN } },
    });
    const error = vaultActionError('read secret/metadata/x', axiosLike);
    expect([error.reason, error.retriable]).toEqual(['timeout', true]);
    expect(error.cause).toBeUndefined();
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });

  it('extracts nothing from a body without errors', () => {
    expect(vaultMessage({ errors: [] })).toBeUndefined();
    expect(vaultMessage('nope')).toBeUndefined();
  });
});

describe('vaultCall against a real node-vault client', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await closeServer();
  });

  async function closeServer(): Promise<void> {
    const running = server;
    server = undefined;
    if (running === undefined) return;
    await new Promise<void>((resolve) => {
      running.close(() => {
        resolve();
      });
    });
  }

  async function listen(onConnection: (socket: Socket) => void): Promise<number> {
    const started = createServer((socket) => {
      sockets.push(socket);
      onConnection(socket);
    });
    server = started;
    await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
    const address = started.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  }

  it('gives up with reason timeout when the run is cancelled while Vault does not answer, without leaking the token', async () => {
    const port = await listen(() => undefined);
    const client = vault({ apiVersion: 'v1', endpoint: `http://127.0.0.1:${port}`, token: TOKEN });

    const error: unknown = await vaultCall(context(client, AbortSignal.timeout(150)), 'read secret/metadata/x', z.unknown(), () =>
      client.read('secret/metadata/x'),
    ).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ reason: 'timeout', retriable: true });
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
  });

  it('maps a refused connection to reason server', async () => {
    // A port that was just free and is closed again: the connection is refused.
    const port = await listen(() => undefined);
    await closeServer();
    const client = vault({ apiVersion: 'v1', endpoint: `http://127.0.0.1:${port}`, token: TOKEN });

    const error: unknown = await vaultCall(context(client, AbortSignal.timeout(5_000)), 'read x', z.unknown(), () => client.read('x')).catch(
      (caught: unknown) => caught,
    );

    expect(error).toMatchObject({ reason: 'server', retriable: true, message: 'read x: Vault could not be reached (ECONNREFUSED)' });
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
  });

  it('rejects a response of the wrong shape naming only the path of the problem, never values', async () => {
    const client = { read: () => Promise.resolve({ data: { password: 'hunter2-secret', version: 'seven' } }) } as unknown as vault.client;

    const error: unknown = await vaultCall(
      context(client, AbortSignal.timeout(1_000)),
      'read secret/data/x',
      z.object({ data: z.object({ version: z.number() }) }),
      () => client.read('secret/data/x'),
    ).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ reason: 'server' });
    expect(String(error)).toContain('data.version');
    expect(inspect(error, { depth: 10 })).not.toContain('hunter2-secret');
  });
});

describe('vaultPath', () => {
  it('joins segments and percent-encodes each part', () => {
    expect(vaultPath('secret', 'data', 'ml prod/app')).toBe('secret/data/ml%20prod/app');
    expect(vaultPath('database/creds/app/')).toBe('database/creds/app');
  });
});
