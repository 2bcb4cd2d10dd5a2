import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { randomName } from '../../env/backends.js';
import { actionContext, elapsed, reportTiming, run, runExpectingFailure } from './action-harness.js';
import { startPostgres, type PostgresServer } from './postgres-server.js';
import { clientFor, rootClient } from './vault-harness.js';

const ROTATE_DB = 'vault.rotate-database-credentials';
const staticCreds = z.object({ data: z.object({ username: z.string(), password: z.string(), last_vault_rotation: z.string() }) });

describe('vault.rotate-database-credentials against a real PostgreSQL (token limited to its declared policy)', () => {
  let postgres: PostgresServer;
  const mount = randomName('database');

  beforeAll(async () => {
    postgres = await startPostgres();
    await postgres.sql(`CREATE ROLE fraud_detector LOGIN PASSWORD 'initial-password'`);
    const root = rootClient();
    await root.mount({ mount_point: mount, type: 'database' });
    await root.write(`${mount}/config/ml-prod`, {
      plugin_name: 'postgresql-database-plugin',
      connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${postgres.port}/postgres?sslmode=disable`,
      username: 'postgres',
      password: postgres.superuserPassword,
      allowed_roles: '*',
    });
    // Creating a static role rotates its password once, so Vault holds the only copy from here on.
    await root.write(`${mount}/static-roles/fraud-detector`, { db_name: 'ml-prod', username: 'fraud_detector', rotation_period: '24h' });
  }, 120_000);

  afterAll(async () => {
    await postgres.stop();
  });

  async function currentCredentials(): Promise<z.output<typeof staticCreds>['data']> {
    return staticCreds.parse(await rootClient().read(`${mount}/static-creds/fraud-detector`)).data;
  }

  it('sets a new password in the database so the old one stops working, and does not rotate again after the anomaly', async () => {
    const before = await currentCredentials();
    expect(await postgres.canLogin('fraud_detector', before.password)).toBe(true);
    const params = { mount, role: 'fraud-detector' };
    const { client } = await clientFor(ROTATE_DB, params);
    // The anomaly was seen after the role's last rotation: the password in use may have leaked.
    const ctx = actionContext({ vault: client }, { windowEnd: Date.parse(before.last_vault_rotation) + 1 });

    const started = performance.now();
    const result = await run(ROTATE_DB, params, ctx);
    const callMs = elapsed(started);
    const after = await currentCredentials();
    const oldRefused = !(await postgres.canLogin('fraud_detector', before.password));
    const effectMs = elapsed(started);

    expect(result.outcome).toBe('succeeded');
    expect(result.details).toEqual({ role: `${mount}/fraud-detector`, rotatedAt: after.last_vault_rotation, previousRotation: before.last_vault_rotation });
    expect(after.password).not.toBe(before.password);
    expect(oldRefused).toBe(true);
    expect(await postgres.canLogin('fraud_detector', after.password)).toBe(true);
    expect(JSON.stringify(result)).not.toContain(after.password);
    reportTiming(ROTATE_DB, 'call', callMs);
    reportTiming(ROTATE_DB, 'old password refused by PostgreSQL', effectMs);

    const again = await run(ROTATE_DB, params, actionContext({ vault: client }, { idempotencyKey: ctx.idempotencyKey, windowEnd: ctx.anomaly.windowEnd }));
    expect(again.outcome).toBe('already-done');
    expect((await currentCredentials()).password).toBe(after.password);
  });

  it('fails with reason client for a static role that does not exist', async () => {
    const params = { mount, role: 'no-such-role' };
    const { client } = await clientFor(ROTATE_DB, params);

    const error = await runExpectingFailure(ROTATE_DB, params, actionContext({ vault: client }));

    expect(error.reason).toBe('client');
    expect(error.message).toMatch(/^read static role .*no-such-role: HTTP 4\d\d/);
  });
});
