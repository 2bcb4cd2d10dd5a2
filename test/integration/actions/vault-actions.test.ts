import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ROTATION_METADATA } from '../../../src/actions/vault/kv-rotation.js';
import { randomName } from '../../env/backends.js';
import { actionContext, elapsed, reportTiming, run, runExpectingFailure } from './action-harness.js';
import { clientFor, rootClient, vaultStatusOf } from './vault-harness.js';

const ROTATE = 'vault.rotate-secret';
const REVOKE = 'vault.revoke-leases';

const kvRead = z.object({ data: z.object({ data: z.record(z.string(), z.unknown()), metadata: z.object({ version: z.number() }) }) });
const kvMetadata = z.object({
  data: z.object({ current_version: z.number(), custom_metadata: z.record(z.string(), z.string()).nullable() }),
});
const leased = z.object({ lease_id: z.string().min(1) });

async function latest(path: string): Promise<{ version: number; data: Record<string, unknown> }> {
  const read = kvRead.parse(await rootClient().read(`secret/data/${path}`));
  return { version: read.data.metadata.version, data: read.data.data };
}

async function metadataOf(path: string): Promise<z.output<typeof kvMetadata>['data']> {
  return kvMetadata.parse(await rootClient().read(`secret/metadata/${path}`)).data;
}

async function seed(path: string): Promise<void> {
  await rootClient().write(`secret/data/${path}`, { data: { username: 'fraud-detector', password: 'old-password', 'api-key': 'old-api-key', port: 5432 } });
}

describe('vault.rotate-secret (token limited to its declared policy)', () => {
  it('writes a new version with fresh values for the named keys and the others unchanged, and does not rotate twice for one step', async () => {
    const path = `${randomName('rotate')}/db`;
    await seed(path);
    const params = { path, keys: ['password', 'api-key'] };
    const { client, token } = await clientFor(ROTATE, params);
    const ctx = actionContext({ vault: client });

    const started = performance.now();
    const result = await run(ROTATE, params, ctx);
    const callMs = elapsed(started);
    const after = await latest(path);
    reportTiming(ROTATE, 'call (new version readable on return)', callMs);

    expect(result.outcome).toBe('succeeded');
    expect(result.details).toEqual({ version: 2, previousVersion: 1, rotatedKeys: 'password,api-key', carriedOverKeys: 'port,username', length: 40 });
    expect(after.version).toBe(2);
    expect(after.data['username']).toBe('fraud-detector');
    expect(after.data['port']).toBe(5432);
    const password = String(after.data['password']);
    const apiKey = String(after.data['api-key']);
    expect(password).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(new Set([password, apiKey, 'old-password', 'old-api-key']).size).toBe(4);
    // Neither the new values nor the token reach the result.
    for (const secret of [password, apiKey, token]) {
      expect(JSON.stringify(result)).not.toContain(secret);
      expect(inspect(result, { depth: 10 })).not.toContain(secret);
    }
    const metadata = await metadataOf(path);
    expect(metadata.custom_metadata).toMatchObject({
      [ROTATION_METADATA.idempotencyKey]: ctx.idempotencyKey,
      [ROTATION_METADATA.fromVersion]: '1',
      [ROTATION_METADATA.version]: '2',
    });

    const again = await run(ROTATE, params, actionContext({ vault: client }, { idempotencyKey: ctx.idempotencyKey }));
    expect(again.outcome).toBe('already-done');
    expect(again.details).toMatchObject({ version: 2, previousVersion: 1 });
    expect((await metadataOf(path)).current_version).toBe(2);
    expect((await latest(path)).data['password']).toBe(password);

    const nextStep = await run(ROTATE, params, actionContext({ vault: client }));
    expect(nextStep.details).toMatchObject({ version: 3, previousVersion: 2 });
  });

  it('maps a check-and-set conflict to reason conflict, writes nothing and leaves no record, so a retry rotates', async () => {
    const path = `${randomName('rotate')}/db`;
    await seed(path);
    const params = { path, keys: ['password'] };
    const { client } = await clientFor(ROTATE, params);
    // Another writer lands a version between the action's read and its write.
    let interfered = false;
    const racing = new Proxy(client, {
      get(target, property, receiver): unknown {
        if (property !== 'write') return Reflect.get(target, property, receiver) as unknown;
        return async (writePath: string, data: unknown): Promise<unknown> => {
          if (writePath === `secret/data/${path}` && !interfered) {
            interfered = true;
            await rootClient().write(writePath, { data: { username: 'someone-else', password: 'theirs' } });
          }
          return target.write(writePath, data);
        };
      },
    });
    const ctx = actionContext({ vault: racing });

    const error = await runExpectingFailure(ROTATE, params, ctx);

    expect(error.reason).toBe('conflict');
    expect(error.message).toContain('check-and-set failed');
    const after = await latest(path);
    expect(after).toEqual({ version: 2, data: { username: 'someone-else', password: 'theirs' } });
    expect(Object.keys((await metadataOf(path)).custom_metadata ?? {})).not.toContain(ROTATION_METADATA.idempotencyKey);

    const retried = await run(ROTATE, params, actionContext({ vault: client }, { idempotencyKey: ctx.idempotencyKey }));
    expect(retried.outcome).toBe('succeeded');
    expect(retried.details).toMatchObject({ version: 3, previousVersion: 2 });
    expect((await latest(path)).data['username']).toBe('someone-else');
  });

  it('fails with reason client for a secret that does not exist, and auth for a path outside the policy', async () => {
    const path = `${randomName('rotate')}/db`;
    const { client } = await clientFor(ROTATE, { path, keys: ['password'] });
    const other = `${randomName('rotate')}/db`;
    await seed(other);

    const missing = await runExpectingFailure(ROTATE, { path, keys: ['password'] }, actionContext({ vault: client }));
    const denied = await runExpectingFailure(ROTATE, { path: other, keys: ['password'] }, actionContext({ vault: client }));

    expect(missing.reason).toBe('client');
    expect(missing.message).toContain('does not exist');
    expect(denied.reason).toBe('auth');
    expect(denied.message).toContain('HTTP 403 permission denied');
    expect((await latest(other)).version).toBe(1);
  });
});

describe('vault.revoke-leases (token limited to its declared policy)', () => {
  async function pkiWithLeases(): Promise<{ mount: string; revoked: string[]; kept: string }> {
    const root = rootClient();
    // PKI with generate_lease gives real leases without an external system.
    const mount = randomName('pki');
    await root.mount({ mount_point: mount, type: 'pki', config: { max_lease_ttl: '1h' } });
    await root.write(`${mount}/root/generate/internal`, { common_name: 'meshwarden.test', ttl: '1h' });
    for (const role of ['inference', 'inference-canary']) {
      await root.write(`${mount}/roles/${role}`, { allow_any_name: true, generate_lease: true, ttl: '10m' });
    }
    const issue = async (role: string): Promise<string> =>
      leased.parse(await root.write(`${mount}/issue/${role}`, { common_name: 'model.meshwarden.test' })).lease_id;
    const revoked = [await issue('inference'), await issue('inference'), await issue('inference')];
    return { mount, revoked, kept: await issue('inference-canary') };
  }

  it('revokes every lease under the prefix and nothing else; a second run finds none left', async () => {
    const { mount, revoked, kept } = await pkiWithLeases();
    const params = { prefix: `${mount}/issue/inference` };
    const { client } = await clientFor(REVOKE, params);
    const root = rootClient();

    const started = performance.now();
    const result = await run(REVOKE, params, actionContext({ vault: client }));
    const callMs = elapsed(started);

    expect(result.outcome).toBe('succeeded');
    expect(result.details).toEqual({ prefix: `${mount}/issue/inference`, leasesRevoked: 3, sync: true });
    for (const lease of revoked) expect(await vaultStatusOf(root.write('sys/leases/lookup', { lease_id: lease }))).toBe(400);
    expect(await vaultStatusOf(root.write('sys/leases/lookup', { lease_id: kept }))).toBe('ok');
    reportTiming(REVOKE, 'call (3 leases, sync: gone on return)', callMs);

    const again = await run(REVOKE, params, actionContext({ vault: client }));
    expect(again.outcome).toBe('already-done');
    expect(again.details).toMatchObject({ leasesRevoked: 0 });
  });

  it('fails with reason auth when the token lacks sudo on the prefix', async () => {
    const { mount, revoked } = await pkiWithLeases();
    const { client } = await clientFor(REVOKE, { prefix: `${mount}/issue/other` });

    const error = await runExpectingFailure(REVOKE, { prefix: `${mount}/issue/inference` }, actionContext({ vault: client }));

    expect(error.reason).toBe('auth');
    for (const lease of revoked) expect(await vaultStatusOf(rootClient().write('sys/leases/lookup', { lease_id: lease }))).toBe('ok');
  });
});
