import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import { FileIncidentThreadStore } from '../../../../src/actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../../../../src/actions/slack/incident-threads.js';
import { FileApprovalStore } from '../../../../src/approvals/approval-store.js';
import { ApprovalService, type ApprovalServiceOptions } from '../../../../src/approvals/approval-service.js';
import type { ApprovalEvent, ApprovalRequest } from '../../../../src/approvals/approval-types.js';
import type { Anomaly } from '../../../../src/detect/anomaly.js';
import { ManualClock } from '../../../../src/shared/clock.js';
import { createLogger, type Logger } from '../../../../src/shared/logger.js';
import { Secret } from '../../../../src/shared/secret.js';
import { startSlackTestServer, type SlackTestServer } from '../../../env/slack-server.js';

/** Secret values that must never surface in logs, errors, results, state files or messages. */
export const BOT_TOKEN = 'xoxb-424242-TOKEN-MUST-NOT-LEAK';
export const SIGNING_SECRET = 'signing-secret-MUST-NOT-LEAK-8f7422';
export const BINDING_SECRET = 'binding-secret-MUST-NOT-LEAK-c0ffee';
export const SECRETS = [BOT_TOKEN, SIGNING_SECRET, BINDING_SECRET] as const;

export const T0 = Date.UTC(2026, 10, 3, 10, 0);
export const MIN = 60_000;

/** Channel ids the test server gives the two channels playbooks use. */
export const ALERTS = 'C0ALERTS';
export const APPROVALS = 'C0APPROVALS';

/** An anomaly on one pod, `minute` minutes after T0. */
export function podAnomaly(minute: number, overrides: Partial<Anomaly> = {}): Anomaly {
  return {
    id: `a${minute}`, detector: 'egress-spike', severity: 'critical', score: 0.991,
    entity: { key: 'pod:ml-prod/inference-abc12-xyz89', kind: 'pod', namespace: 'ml-prod', name: 'inference-abc12-xyz89', pod: 'inference-abc12-xyz89', workload: 'inference' },
    windowStart: T0 + minute * MIN, windowEnd: T0 + (minute + 1) * MIN,
    evidence: [{ feature: 'egress_bytes', observed: 37_902_826, expected: 1465, spread: 300, score: 0.991, details: ['ml-prod/inference -> storage.example-exfil.net'] }],
    ...overrides,
  };
}

/** Everything a Slack test needs: the local server, a real WebClient on it, a clock, captured logs, a state dir. */
export interface SlackHarness {
  readonly server: SlackTestServer;
  readonly slack: WebClient;
  readonly clock: ManualClock;
  readonly logger: Logger;
  /** Every log line written by the engine's logger and by the WebClient's. */
  readonly logs: string[];
  readonly stateDir: string;
  readonly events: ApprovalEvent[];
  threads(): SlackIncidentThreads;
  /** An approval service over the state dir, as after a (re)start; `unsigned` leaves the signing secret out (Socket Mode only). */
  approvals(overrides?: Partial<ApprovalServiceOptions> & { unsigned?: boolean }): Promise<ApprovalService>;
  close(): Promise<void>;
}

export async function startSlackHarness(options: { usergroups?: Record<string, string[]>; botToken?: string } = {}): Promise<SlackHarness> {
  const clock = new ManualClock(T0);
  const server = await startSlackTestServer({
    botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, now: () => clock.now(), usergroups: options.usergroups ?? { S0SOCLEADS: ['U0LEAD'] },
  });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => { logs.push(line); } } });
  const slack = new WebClient(options.botToken ?? BOT_TOKEN, {
    slackApiUrl: server.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: capturingSlackLogger(logs),
    logLevel: LogLevel.DEBUG,
  });
  const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-slack-'));
  const events: ApprovalEvent[] = [];
  const threads = (): SlackIncidentThreads => new SlackIncidentThreads({ slack, store: new FileIncidentThreadStore(stateDir, logger), logger });
  return {
    server, slack, clock, logger, logs, stateDir, events, threads,
    approvals: ({ unsigned = false, ...overrides } = {}) => ApprovalService.open({
      slack, threads: threads(), store: new FileApprovalStore(stateDir),
      bindingSecret: new Secret(BINDING_SECRET),
      ...(unsigned ? {} : { signingSecret: new Secret(SIGNING_SECRET) }),
      clock, logger, onEvent: (event) => { events.push(event); }, ...overrides,
    }),
    close: async () => {
      await server.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** A request to approve quarantining the pod, pinned to its UID and resourceVersion. */
export function quarantineRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    idempotencyKey: 'isolate-on-lateral-movement/inc-1/0',
    incidentId: 'inc-1',
    playbook: 'isolate-on-lateral-movement',
    anomaly: podAnomaly(0),
    channel: '#soc-approvals',
    approvers: { users: ['U0ALICE', 'U0BOB'], groups: [] },
    required: 1,
    timeoutMs: 10 * MIN,
    onTimeout: 'deny',
    subjects: [{
      action: 'kubernetes.quarantine-pod',
      params: { namespace: 'ml-prod', pod: 'inference-abc12-xyz89', expireAfter: '24h' },
      target: { kind: 'Pod', namespace: 'ml-prod', name: 'inference-abc12-xyz89', uid: '7f1c2d9e-0b7a-4c55-9d0e-3a1b2c3d4e5f', resourceVersion: '48213' },
      description: 'label pod ml-prod/inference-abc12-xyz89 meshwarden.io/quarantine=true and deny all its traffic',
    }],
    ...overrides,
  };
}

/** The WebClient's own log lines go to the same capture, so the leak test sees them too. */
function capturingSlackLogger(lines: string[]): SlackLogger {
  let level = LogLevel.DEBUG;
  const write = (at: string) => (...msg: unknown[]): void => {
    lines.push(`[slack ${at}] ${msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ')}`);
  };
  return {
    debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'),
    setLevel: (next: LogLevel) => { level = next; },
    getLevel: () => level,
    setName: () => undefined,
  };
}
