/**
 * Marker secrets through every failure path a backend can take: Vault down, unresolvable, refusing,
 * or speaking plain HTTP to a TLS client; Kafka unreachable or refusing SASL; Slack unreachable or
 * refusing the token; the Kubernetes API unreachable. No marker may reach the output of the real
 * `meshwarden serve` process, nor the errors the clients' wrappers throw.
 *
 * MESHWARDEN_TESTENV_BACKENDS=kafka,vault npx vitest run --project integration test/integration/adversarial/secret-leaks.test.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { Kafka, logLevel } from 'kafkajs';
import NodeVault from 'node-vault';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeActionError } from '../../../src/actions/kubernetes/kube-errors.js';
import { callSlack } from '../../../src/actions/slack/slack-call.js';
import { vaultActionError } from '../../../src/actions/vault/vault-call.js';
import { kafkaConnectError } from '../../../src/kafka/kafka-connect-error.js';
import { createLogger } from '../../../src/shared/logger.js';
import { kafkaBrokers, vaultEndpoint } from '../../env/backends.js';
import { startSlackTestServer } from '../../env/slack-server.js';
import { closedPort, startServe, type ServeProcess } from '../../adversarial/serve-process.js';

const MARKERS = {
  vaultToken: 'hvs.MARKERvaulttoken4c1d9e',
  jwt: 'eyJhbGciOiJSUzI1NiJ9.MARKERserviceaccountjwt.c2lnbmF0dXJl',
  slackToken: 'xoxb-MARKER-slack-bot-token-77',
  signingSecret: 'MARKERsigningsecret0f3e',
  approvalKey: 'MARKERapprovalkey0123456789abcdef',
  kafkaPassword: 'MARKERkafkapassword5a2b',
  kubeToken: 'MARKERkubebearertoken91c0',
};

/** Every marker, and the forms a client would put on the wire (base64 in Basic auth and SASL PLAIN). */
const FORBIDDEN = Object.values(MARKERS).flatMap((m) => [m, Buffer.from(m).toString('base64')]);

function expectNoMarker(text: string, where: string): void {
  for (const marker of FORBIDDEN) expect(text.includes(marker), `${where} contains a marker secret:\n${text.slice(0, 2_000)}`).toBe(false);
}

/** Everything a caller or a logger could print of an error. */
function printed(error: unknown): string {
  const lines: string[] = [];
  createLogger({ destination: { write: (line: string) => { lines.push(line); } } }).error({ err: error }, 'failed');
  return [inspect(error, { depth: 20, showHidden: true }), String(error), error instanceof Error ? error.stack ?? '' : '', JSON.stringify(error), ...lines].join('\n');
}

const SECRET_ENV = {
  MESHWARDEN_VAULT_TOKEN: MARKERS.vaultToken,
  MESHWARDEN_SLACK_BOT_TOKEN: MARKERS.slackToken,
  MESHWARDEN_SLACK_SIGNING_SECRET: MARKERS.signingSecret,
  MESHWARDEN_APPROVAL_KEY: MARKERS.approvalKey,
  MESHWARDEN_KAFKA_USERNAME: 'meshwarden',
  MESHWARDEN_KAFKA_PASSWORD: MARKERS.kafkaPassword,
};

const jwtFile = join(mkdtempSync(join(tmpdir(), 'meshwarden-jwt-')), 'token');
writeFileSync(jwtFile, MARKERS.jwt, { mode: 0o600 });

const running: ServeProcess[] = [];
afterAll(async () => {
  for (const serve of running) await serve.stop('SIGKILL');
});

/** Starts serve with Vault logging in at `vaultAddress` (or Kafka as given) and every secret set. */
async function serveWith(overrides: Record<string, unknown>): Promise<ServeProcess> {
  const slack = await closedPort();
  const serve = await startServe({
    kafka: { brokers: kafkaBrokers() },
    slack: { enabled: true, mode: 'http', apiUrl: `http://127.0.0.1:${slack}/api/` },
    logLevel: 'debug',
    ...overrides,
  }, SECRET_ENV, { waitForHealth: false });
  running.push(serve);
  return serve;
}

/** Lets a retrying start-up fail twice, then stops it with SIGTERM, and returns all it wrote. */
async function twoFailuresThenStop(serve: ServeProcess, what: RegExp): Promise<string> {
  expect(await serve.waitForOutput(what, 60_000), serve.output()).toBe(true);
  const stopped = await serve.stop('SIGTERM', 20_000);
  expect(stopped.code, serve.output()).toBe(0);
  return serve.output();
}

const vaultLogin = (address: string): Record<string, unknown> => ({
  vault: { enabled: true, address, kubernetesRole: 'meshwarden', serviceAccountTokenFile: jwtFile },
});

describe('meshwarden serve prints no secret on a failed backend', () => {
  it('Vault down (a closed port): retried, token and JWT never printed', async () => {
    const serve = await serveWith(vaultLogin(`http://127.0.0.1:${await closedPort()}`));
    const output = await twoFailuresThenStop(serve, /logging in to Vault failed \(attempt 2\)/);
    expect(output).toMatch(/ECONNREFUSED/);
    expectNoMarker(output, 'serve output (Vault down)');
  }, 120_000);

  it('Vault unresolvable (vault.invalid): retried, nothing printed', async () => {
    const serve = await serveWith(vaultLogin('http://vault.invalid:8200'));
    const output = await twoFailuresThenStop(serve, /logging in to Vault failed \(attempt 2\)/);
    expect(output).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expectNoMarker(output, 'serve output (DNS failure)');
  }, 120_000);

  it('TLS against OpenBao\'s plain-HTTP port: retried, nothing printed', async () => {
    const serve = await serveWith(vaultLogin(vaultEndpoint().replace(/^http:/, 'https:')));
    const output = await twoFailuresThenStop(serve, /logging in to Vault failed \(attempt 2\)/);
    expectNoMarker(output, 'serve output (TLS error)');
  }, 120_000);

  it('OpenBao refusing the login: one line, exit 2, nothing printed', async () => {
    const serve = await serveWith(vaultLogin(vaultEndpoint()));
    const exit = await serve.exited;
    const output = serve.output();
    expect(exit.code, output).toBe(2);
    expect(output).toMatch(/error: Vault Kubernetes login: HTTP 4\d\d/);
    expect(output).not.toMatch(/\n\s+at /);
    expectNoMarker(output, 'serve output (login refused)');
  }, 120_000);

  it('Kafka unreachable with SASL credentials: retried, password never printed', async () => {
    const serve = await serveWith({ kafka: { brokers: [`127.0.0.1:${await closedPort()}`], sasl: 'plain' } });
    const output = await twoFailuresThenStop(serve, /connecting to Kafka failed \(attempt 2\)/);
    expectNoMarker(output, 'serve output (Kafka unreachable)');
  }, 120_000);

  it('Kafka refusing the SASL handshake (a plaintext listener): reported, nothing printed', async () => {
    const serve = await serveWith({ kafka: { brokers: kafkaBrokers(), sasl: 'plain' } });
    // Whether the broker's refusal reads as final or as a dropped connection, the output must be clean.
    const outcome = await Promise.race([
      serve.exited.then(() => 'exited' as const),
      serve.waitForOutput(/connecting to Kafka failed \(attempt 2\)/, 60_000).then(() => 'retrying' as const),
    ]);
    if (outcome === 'retrying') expect((await serve.stop('SIGTERM', 20_000)).code).toBe(0);
    const output = serve.output();
    expect(output).toMatch(/Kafka \(127\.0\.0\.1:\d+\)/);
    expect(output).not.toMatch(/\n\s+at /);
    expectNoMarker(output, 'serve output (SASL refused)');
  }, 120_000);
});

describe('the client wrappers throw errors without the request', () => {
  it('Vault: 403 for a wrong token, and a refused connection', async () => {
    const wrong = NodeVault({ apiVersion: 'v1', endpoint: vaultEndpoint(), token: MARKERS.vaultToken });
    const refused: unknown = await wrong.read('secret/data/anything').catch((error: unknown) => vaultActionError('read secret/data/anything', error));
    expect(String(refused)).toMatch(/HTTP 403/);
    expectNoMarker(printed(refused), 'Vault 403 error');
    const down = NodeVault({ apiVersion: 'v1', endpoint: `http://127.0.0.1:${await closedPort()}`, token: MARKERS.vaultToken });
    const unreachable: unknown = await down.kubernetesLogin({ role: 'r', jwt: MARKERS.jwt }).catch((error: unknown) => vaultActionError('login', error));
    expectNoMarker(printed(unreachable), 'Vault unreachable error');
  });

  it('Kafka: SASL refused and broker unreachable', async () => {
    for (const brokers of [kafkaBrokers(), [`127.0.0.1:${await closedPort()}`]]) {
      const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'plain', username: 'u', password: MARKERS.kafkaPassword } });
      const admin = kafka.admin();
      const error: unknown = await admin.connect().then(() => new Error('connected'), (e: unknown) => kafkaConnectError(brokers, e));
      await admin.disconnect().catch(() => undefined);
      expectNoMarker(printed(error), `Kafka error (${brokers.join(',')})`);
    }
  });

  it('Slack: unreachable, and invalid_auth for a wrong token', async () => {
    const down = new WebClient(MARKERS.slackToken, { slackApiUrl: `http://127.0.0.1:${await closedPort()}/api/`, retryConfig: { retries: 0 } });
    const unreachable: unknown = await callSlack('chat.postMessage', () => down.chat.postMessage({ channel: 'C1', text: 'x' })).catch((e: unknown) => e);
    expectNoMarker(printed(unreachable), 'Slack unreachable error');
    const server = await startSlackTestServer({ botToken: 'xoxb-the-right-one', signingSecret: 'right' });
    try {
      const wrong = new WebClient(MARKERS.slackToken, { slackApiUrl: server.apiUrl, retryConfig: { retries: 0 } });
      const invalid: unknown = await callSlack('chat.postMessage', () => wrong.chat.postMessage({ channel: 'C1', text: 'x' })).catch((e: unknown) => e);
      expect(String(invalid)).toMatch(/invalid_auth|not_authed/);
      expectNoMarker(printed(invalid), 'Slack invalid_auth error');
    } finally {
      await server.close();
    }
  });

  it('Kubernetes: API server unreachable with a bearer token', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${await closedPort()}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: MARKERS.kubeToken }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
    });
    const error: unknown = await kc.makeApiClient(CoreV1Api).readNamespace({ name: 'default' }).catch((e: unknown) => kubeActionError('read namespace default', e));
    expectNoMarker(printed(error), 'Kubernetes error');
  });
});
