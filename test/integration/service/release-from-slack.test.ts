/**
 * The SOC's way back from a quarantine, end to end on the live service: lines on Kafka -> anomaly ->
 * Slack alert and quarantine on the API server -> "Release pod" under the quarantine's line in the
 * incident thread -> a signed click by an allow-listed user -> the pod released, recorded in the
 * ledger with who asked. Kafka, Kubernetes and the local Slack server.
 */
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { QUARANTINE_LABEL } from '../../../src/actions/kubernetes/quarantine-plan.js';
import { FileIncidentThreadStore } from '../../../src/actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../../../src/actions/slack/incident-threads.js';
import { FileApprovalStore } from '../../../src/approvals/approval-store.js';
import { ApprovalService } from '../../../src/approvals/approval-service.js';
import type { InteractionResult } from '../../../src/approvals/approval-types.js';
import { RELEASE_ACTION_ID, releaseButtons } from '../../../src/approvals/release-button.js';
import { LEDGER_FILE, type LedgerRecord } from '../../../src/audit/ledger.js';
import { serviceConfigSchema } from '../../../src/config/service-config.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { createSlackInteractionsEndpoint, slackInteractionsListener } from '../../../src/server/slack-interactions.js';
import { MeshwardenService } from '../../../src/service.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { Secret } from '../../../src/shared/secret.js';
import { kafkaBrokers, randomName } from '../../env/backends.js';
import { startSlackTestServer } from '../../env/slack-server.js';
import { waitFor } from '../../env/wait-for.js';
import { admin, deleteNamespaces, runningDeployment } from '../actions/kube-harness.js';
import { serviceTopics } from './service-topics.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const MIN = 60_000;
const BOT_TOKEN = `xoxb-${Date.now()}-release-service`;
const SIGNING_SECRET = `signing-${process.pid}-${Date.now()}`;
const ALERTS = 'C0ALERTS';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await deleteNamespaces();
});

/** A Fluent Bit message carrying an outbound Istio TEXT line: `pod` sent `bytes` upstream. */
function outbound(namespace: string, pod: string, at: number, bytes: number, i: number): string {
  const text = `[${new Date(at).toISOString()}] "POST /v1/upload HTTP/1.1" 200 - via_upstream - "-" ${bytes} 135 4 4 "-" "loader/1.0" "req-${i}" "store:8000" "10.44.1.27:8000" outbound|8000||store.data.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default`;
  return JSON.stringify({ '@timestamp': at / 1000, log: text, kubernetes: { namespace_name: namespace, pod_name: pod, container_name: 'istio-proxy', labels: { app: 'loader' } } });
}

describe('releasing a quarantine from Slack, on the live service', () => {
  it('puts a Release pod button under the quarantine in the incident thread, and an allow-listed click releases the pod', async () => {
    const { namespace, pods: [spiking, quiet] } = await runningDeployment('slack-release', 'loader', 2);
    if (!spiking || !quiet) throw new Error('pods');

    // Slack: the local server, the real WebClient, verified interactions over HTTP.
    const slackServer = await startSlackTestServer({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, usergroups: { S0SOC: ['U0CAROL'] } });
    cleanups.push(() => slackServer.close());
    const logger = silentLogger();
    const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-slack-release-'));
    const slack = new WebClient(BOT_TOKEN, { slackApiUrl: slackServer.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    const threads = new SlackIncidentThreads({ slack, store: new FileIncidentThreadStore(stateDir, logger), logger });
    const secret = new Secret(`binding-${Date.now()}`);
    const approvals = await ApprovalService.open({
      slack, threads, store: new FileApprovalStore(stateDir), bindingSecret: secret, signingSecret: new Secret(SIGNING_SECRET), clock: systemClock, logger,
    });
    const received: InteractionResult[] = [];
    const endpoint: Server = createServer(slackInteractionsListener(createSlackInteractionsEndpoint(approvals), logger, (r) => received.push(r)));
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => { endpoint.closeAllConnections(); endpoint.close(resolve); }));
    const interactionsUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/slack/interactions`;

    // The service, live, wired as `serve` wires it with slack.releasers set.
    const prefix = randomName('slack-release');
    const config = serviceConfigSchema.parse({
      apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig', stateDir, dryRun: false,
      detectors: join(FIXTURES, 'crash-recovery', 'detectors'), playbooks: join(FIXTURES, 'release-from-slack', 'playbooks'),
      kubernetes: { enabled: true }, coordination: { claims: 'none' },
      slack: { enabled: true, releasers: { users: ['U0ALICE'], groups: ['S0SOC'] } },
      kafka: { brokers: kafkaBrokers(), groupId: `${prefix}-group`, topics: serviceTopics(prefix) },
    });
    const kafka = new Kafka({ clientId: 'test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    cleanups.push(() => kafkaAdmin.disconnect());
    await kafkaAdmin.createTopics({ waitForLeaders: true, topics: [config.kafka.topics.accessLogs, config.kafka.topics.modelTelemetry, config.kafka.topics.driftMetrics].map((topic) => ({ topic })) });
    const kube = admin().kc;
    const buttons = releaseButtons({ approvals, slack, secret, releasers: config.slack.releasers, logger });
    const service = new MeshwardenService({
      config, kafka: { clientId: 'meshwarden-test', brokers: config.kafka.brokers }, kube,
      actionDeps: { kube, slack, slackThreads: threads }, approvals, releaseButton: buttons.button,
      clock: systemClock, logger, metrics: createMetrics(),
    });
    buttons.attach(service);
    let stopped = false;
    cleanups.push(async () => { if (!stopped) await service.stop(); });

    // 20 minutes of both pods' uploads, the spiking pod sending 40x at minute 15.
    const lines: string[] = [];
    for (let minute = 0; minute < 20; minute++) {
      for (let r = 0; r < 20; r++) {
        const at = T0 + minute * MIN + r * 2_900;
        lines.push(outbound(namespace, spiking, at, (minute === 15 ? 40 : 1) * (30_000 + ((r * 7919) % 5_000)), lines.length));
        lines.push(outbound(namespace, quiet, at + 7, 30_000 + ((r * 104_729) % 5_000), lines.length));
      }
    }
    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({ topic: config.kafka.topics.accessLogs, messages: lines.map((value) => ({ value })) });
    await service.start();

    // The alert, then the quarantine's line in its thread, with the button.
    const isQuarantined = async (): Promise<boolean> => (await admin().core.readNamespacedPod({ namespace, name: spiking })).metadata?.labels?.[QUARANTINE_LABEL] === 'true';
    await waitFor('the spiking pod quarantined', 60_000, isQuarantined);
    const withButton = () => {
      const [parent] = slackServer.channelMessages(ALERTS);
      return parent === undefined ? undefined : slackServer.replies(ALERTS, parent.ts).find((m) => JSON.stringify(m.blocks).includes(RELEASE_ACTION_ID));
    };
    await waitFor('the Release pod button in the incident thread', 30_000, () => withButton() !== undefined);
    const reply = withButton();
    if (reply === undefined) throw new Error('no button');
    expect(reply.text).toContain(`isolate the pod (kubernetes.quarantine-pod) on Pod ${namespace}/${spiking}: succeeded`);
    expect(slackServer.replies(ALERTS, slackServer.channelMessages(ALERTS)[0]?.ts ?? '').filter((m) => JSON.stringify(m.blocks).includes(RELEASE_ACTION_ID))).toHaveLength(1);

    // Carol (allow-listed through her group) clicks it.
    const click = slackServer.clickPayload({ user: 'U0CAROL', channel: ALERTS, ts: reply.ts, actionId: RELEASE_ACTION_ID });
    expect((await slackServer.deliver(interactionsUrl, slackServer.signInteraction(click))).status).toBe(200);
    expect(received.at(-1)).toMatchObject({ type: 'handled', actionId: RELEASE_ACTION_ID, user: 'U0CAROL' });
    expect(await isQuarantined()).toBe(false);
    expect((await admin().networking.listNamespacedNetworkPolicy({ namespace })).items).toEqual([]);
    expect(slackServer.message(ALERTS, reply.ts)?.text).toContain('Released by <@U0CAROL>');

    // The ledger says who asked, after the quarantine it undid; the chain still verifies.
    stopped = true;
    await service.stop();
    const ledger = (await readFile(join(stateDir, 'audit', LEDGER_FILE), 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LedgerRecord);
    const actions = ledger.filter((r) => r.type === 'action').map((r) => r.data as { action?: string; outcome?: string; target?: string; requestedBy?: string });
    expect(actions.filter((a) => a.action === 'kubernetes.quarantine-pod' || a.action === 'kubernetes.release-pod').map((a) => [a.action, a.target, a.outcome, a.requestedBy])).toEqual([
      ['kubernetes.quarantine-pod', `Pod ${namespace}/${spiking}`, 'succeeded', undefined],
      ['kubernetes.release-pod', `Pod ${namespace}/${spiking}`, 'succeeded', 'U0CAROL'],
    ]);
  }, 180_000);
});
