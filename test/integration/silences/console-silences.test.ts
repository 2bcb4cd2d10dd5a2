/**
 * Silences in a cluster, added and expired with the CLI through the running service: the real
 * `meshwarden serve` with Kubernetes on (its silences in the ConfigMap every replica reads, on the
 * real API server) and console tokens. The ConfigMap holds the silence, the service's ledger holds
 * who added and expired it through which token, and the ledger still verifies. Needs the
 * kubernetes backend.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Namespace } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeSilenceStore } from '../../../src/silences/kube-silence-store.js';
import { systemClock } from '../../../src/shared/clock.js';
import { randomName, testEnv } from '../../env/backends.js';
import { kubeConfigFor } from '../../env/kube-backend.js';
import { kubeConfigFile } from '../../env/kube-config-file.js';
import { kubeObject } from '../../env/kube-object.js';
import { ADMIN_USER } from '../../env/kube-users.js';
import { closedPort, startServe, type ServeProcess } from '../../adversarial/serve-process.js';

const TOKEN = `alice-${'c3'.repeat(20)}`;
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** The CLI as an operator runs it, without blocking this process. */
function meshwarden(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/meshwarden.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.once('error', reject);
    child.once('exit', (code) => { resolve({ code, stdout, stderr }); });
  });
}

describe('cluster silences through the console API', () => {
  it('stores the silence in the ConfigMap and records its add and expiry in the service\'s ledger with the token\'s identity', async () => {
    const kube = testEnv().kubernetes;
    if (kube === undefined) throw new Error('the kubernetes test backend is required');
    const namespace = randomName('silence-api');
    const core = kubeConfigFor('admin').makeApiClient(CoreV1Api);
    await core.createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name: namespace } }) });
    cleanups.push(() => core.deleteNamespace({ name: namespace }));
    const dir = mkdtempSync(join(tmpdir(), 'meshwarden-console-silences-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeConfigFile({ server: kube.server, caData: kube.caData, user: ADMIN_USER, token: kube.adminToken }), { mode: 0o600 });
    const tokenFile = join(dir, 'alice.token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const stateDir = join(dir, 'state');

    const serve: ServeProcess = await startServe({
      stateDir, namespace, kubernetes: { enabled: true }, silences: { store: 'kubernetes' },
      kafka: { brokers: [`127.0.0.1:${await closedPort()}`] },
      console: { tokens: [{ name: 'alice-laptop', user: 'U0ALICE', file: tokenFile }] },
    }, { KUBECONFIG: kubeconfig });
    cleanups.push(() => serve.stop());
    if (!(await serve.waitForOutput(/connecting to Kafka failed/, 60_000))) throw new Error(`the service did not get to Kafka:\n${serve.output()}`);

    const added = await meshwarden(['silence', 'add', '--server', serve.url, '--token-file', tokenFile, '-m', 'detector=egress-spike', '-m', `namespace=${namespace}`, '--duration', '2h', '--comment', 'load test tonight', '--author', 'alice']);
    expect(added.stderr).toBe('');
    const id = added.stdout.trim();
    // Where every replica reads it: the ConfigMap on the API server.
    const stored = await new KubeSilenceStore(kubeConfigFor('admin'), namespace, systemClock).list();
    expect(stored.map((s) => [s.id, s.createdBy, s.comment])).toEqual([[id, 'alice', 'load test tonight']]);
    // The CLI can still read the ConfigMap directly, and sees the same silence.
    const listed = await meshwarden(['silence', 'list', '--kubeconfig', kubeconfig, '-n', namespace, '-o', 'json']);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((s) => s.id)).toEqual([id]);

    const expired = await meshwarden(['silence', 'expire', id, '--server', serve.url, '--token-file', tokenFile]);
    expect(expired).toMatchObject({ code: 0, stderr: '' });
    expect((await new KubeSilenceStore(kubeConfigFor('admin'), namespace, systemClock).list())[0]?.expiredBy).toBe('token:alice-laptop');
    await serve.stop();

    const records = readFileSync(join(stateDir, 'audit', 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { data: Record<string, unknown> })
      .filter((r) => typeof r.data.event === 'string' && r.data.event.startsWith('silence-'));
    expect(records.map((r) => [r.data.event, r.data.id, r.data.via, r.data.user])).toEqual([
      ['silence-created', id, 'token:alice-laptop', 'U0ALICE'],
      ['silence-expired', id, 'token:alice-laptop', 'U0ALICE'],
    ]);
    expect(records[0]?.data).toMatchObject({ matchers: ['detector=egress-spike', `namespace=${namespace}`], createdBy: 'alice', comment: 'load test tonight' });
    const verify = await meshwarden(['audit', 'verify', stateDir]);
    expect(verify.code).toBe(0);
  }, 180_000);
});
