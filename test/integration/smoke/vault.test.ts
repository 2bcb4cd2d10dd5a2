import vault from 'node-vault';
import { vaultStatusOf } from '../../env/vault-status.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { randomName, vaultEndpoint, vaultRootToken } from '../../env/backends.js';

// node-vault types every response as `any`; these schemas narrow what the tests read.
const kvWrite = z.object({ data: z.object({ version: z.number() }) });
const kvRead = z.object({
  data: z.object({ data: z.record(z.string(), z.string()), metadata: z.object({ version: z.number() }) }),
});
const leased = z.object({ lease_id: z.string().min(1), lease_duration: z.number().positive() });
const tokenCreated = z.object({ auth: z.object({ client_token: z.string().min(1) }) });

function client(token = vaultRootToken()): vault.client {
  return vault({ apiVersion: 'v1', endpoint: vaultEndpoint(), token });
}


describe('Vault-API test backend (OpenBao via node-vault)', () => {
  it('stores a new KV v2 version on each write and reads back the latest', async () => {
    const bao = client();
    const path = `secret/data/${randomName('smoke')}/model-api-key`;

    const first = kvWrite.parse(await bao.write(path, { data: { key: 'v1-value' } }));
    const second = kvWrite.parse(await bao.write(path, { data: { key: 'v2-value' } }));
    const latest = kvRead.parse(await bao.read(path));

    expect(second.data.version).toBe(first.data.version + 1);
    expect(latest.data.metadata.version).toBe(second.data.version);
    expect(latest.data.data).toEqual({ key: 'v2-value' });
  });

  it('revokes a secrets-engine lease so it can no longer be looked up', async () => {
    const bao = client();
    // PKI with generate_lease gives a real lease without needing an external database.
    const mount = randomName('pki');
    await bao.mount({ mount_point: mount, type: 'pki', config: { max_lease_ttl: '1h' } });
    await bao.write(`${mount}/root/generate/internal`, { common_name: 'meshwarden.test', ttl: '1h' });
    await bao.write(`${mount}/roles/smoke`, { allow_any_name: true, generate_lease: true, ttl: '10m' });
    const issued = leased.parse(await bao.write(`${mount}/issue/smoke`, { common_name: 'model.meshwarden.test' }));

    expect(await vaultStatusOf(bao.write('sys/leases/lookup', { lease_id: issued.lease_id }))).toBe('ok');
    await bao.revoke({ lease_id: issued.lease_id });
    expect(await vaultStatusOf(bao.write('sys/leases/lookup', { lease_id: issued.lease_id }))).toBe(400);
  });

  it('revokes a token so requests made with it are refused', async () => {
    const created = tokenCreated.parse(await client().tokenCreate({ policies: ['default'], ttl: '10m' }));
    const holder = client(created.auth.client_token);

    expect(await vaultStatusOf(holder.tokenLookupSelf())).toBe('ok');
    await client().tokenRevoke({ token: created.auth.client_token });
    expect(await vaultStatusOf(holder.tokenLookupSelf())).toBe(403);
  });
});
