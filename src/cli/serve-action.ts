import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import NodeVault from 'node-vault';
import { WebClient } from '@slack/web-api';
import { SocketModeClient } from '@slack/socket-mode';
import { FileIncidentThreadStore } from '../actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../actions/slack/incident-threads.js';
import { ApprovalService } from '../approvals/approval-service.js';
import { FileApprovalStore } from '../approvals/approval-store.js';
import { releaseButtons } from '../approvals/release-button.js';
import { IncidentSilenceButtons, silenceButtonBlock } from '../approvals/silence-button.js';
import type { IncidentSummary } from '../actions/slack/incident-thread-store.js';
import { silenceStoreFor } from '../silences/silence-store-for.js';
import { attachSocketMode } from '../approvals/socket-mode-adapter.js';
import type { Server } from 'node:http';
import { createSlackInteractionsEndpoint, slackInteractionsRoute } from '../server/slack-interactions.js';
import { createHttpServer, DEFAULT_HTTP_LIMITS } from '../server/http-server.js';
import { serviceRoutes, type Readiness } from '../server/service-routes.js';
import { MIN_CONSOLE_TOKEN_LENGTH, type ConsoleToken } from '../server/console-auth.js';
import { consoleRoutes } from '../server/console-routes.js';
import { vaultActionError } from '../actions/vault/vault-call.js';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { SECRET_ENV, serviceConfigSchema, type ServiceConfig } from '../config/service-config.js';
import { loadYamlDocuments } from '../config/yaml-document.js';
import { MeshwardenService } from '../service.js';
import { createMetrics } from '../server/metrics.js';
import { systemClock } from '../shared/clock.js';
import { ConfigError, MeshwardenError, type ConfigProblem } from '../shared/errors.js';
import { describeFailedAttempt, retryWithBackoff } from '../shared/retry.js';
import { safeError } from '../shared/safe-error.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { Secret } from '../shared/secret.js';

/**
 * What `meshwarden serve` does, loaded only when it runs: the Kafka, Kubernetes, Vault and Slack
 * clients are imported by this module and nothing the other commands load.
 */
export async function serveAction(opts: { config: string }): Promise<void> {
  const config = await readServiceConfig(opts.config);
  const logger = createLogger({ level: config.logLevel });
  const metrics = createMetrics();
  const secret = (name: string): Secret | undefined => {
    const value = process.env[name];
    return value === undefined || value === '' ? undefined : new Secret(value);
  };
  const kube = config.kubernetes.enabled ? kubeConfig() : undefined;
  // The client only: logging in talks to Vault, and waits for the HTTP listener (below).
  const vault = config.vault.enabled ? vaultClient(config, secret(SECRET_ENV.vaultToken)) : undefined;
  const silenceStore = silenceStoreFor(config, kube, systemClock);
  const slackParts = config.slack.enabled ? await slackWiring(config, secret, logger) : undefined;
  // "Release pod" buttons on quarantines only when someone may press them.
  const { releasers: allowed } = config.slack;
  const releasers = config.kubernetes.enabled && allowed.users.length + allowed.groups.length > 0 ? allowed : undefined;
  const buttons = slackParts && releasers
    ? releaseButtons({ approvals: slackParts.approvals, slack: slackParts.slack, secret: slackParts.bindingSecret, releasers, logger })
    : undefined;
  const service = new MeshwardenService({
    config, kafka: kafkaConfig(config, secret(SECRET_ENV.kafkaUsername), secret(SECRET_ENV.kafkaPassword)),
    ...(kube ? { kube } : {}),
    actionDeps: {
      ...(kube ? { kube } : {}), ...(vault ? { vault } : {}),
      ...(slackParts ? { slack: slackParts.slack, slackThreads: slackParts.threads } : {}),
    },
    ...(slackParts ? { approvals: slackParts.approvals } : {}),
    ...(buttons ? { releaseButton: buttons.button } : {}),
    silences: silenceStore,
    clock: systemClock, logger, metrics,
  });
  buttons?.attach(service);
  if (slackParts?.silenceButtons === true) {
    new IncidentSilenceButtons({
      approvals: slackParts.approvals, slack: slackParts.slack, secret: slackParts.bindingSecret, silencers: config.slack.silencers,
      add: (silence, actor) => service.addSilence(silence, actor), logger,
    }).attach();
  }
  const vaultLogin = vault && config.vault.kubernetesRole !== undefined ? { client: vault, role: config.vault.kubernetesRole } : undefined;
  const startup: StartupChecks = vaultLogin ? { vault: 'not logged in yet' } : {};
  const interactions = slackParts && config.slack.mode === 'http' ? createSlackInteractionsEndpoint(slackParts.approvals) : undefined;
  const tokens = await readConsoleTokens(config, opts.config);
  const consoleApi = tokens.length === 0 ? [] : consoleRoutes({
    stateDir: config.stateDir, tokens, logger, ...(slackParts ? { approvals: slackParts.approvals } : {}),
    record: (data) => { service.recordConsoleDecision(data); }, canRecord: () => service.recording,
    silences: { add: (silence, actor) => service.addSilence(silence, actor), expire: (id, by, actor) => service.expireSilence(id, by, actor), list: () => service.listSilences() },
    clock: systemClock,
  });
  const http = createHttpServer(
    [...serviceRoutes({ readiness: () => readiness(service, startup), metrics }), ...(interactions ? [slackInteractionsRoute(interactions)] : []), ...consoleApi],
    logger,
    { ...DEFAULT_HTTP_LIMITS, headersTimeoutMs: config.http.headersTimeout, requestTimeoutMs: config.http.requestTimeout },
  );
  if (slackParts && config.slack.mode === 'socket') {
    const appToken = secret(SECRET_ENV.slackAppToken);
    if (!appToken) throw new ConfigError([{ file: opts.config, line: 0, col: 0, path: 'slack.mode', message: `slack.mode is "socket" but ${SECRET_ENV.slackAppToken} is not set; set it or use mode "http"` }]);
    const socket = new SocketModeClient({ appToken: appToken.reveal() });
    attachSocketMode(socket, slackParts.approvals, logger);
    await socket.start();
  }
  // /healthz answers from here on, while the backends below are still being reached.
  await listen(http, config.http.port, config.http.host);
  const stopping = new AbortController();
  const closeHttp = (): void => {
    http.close();
    http.closeAllConnections();
  };
  let starting: Promise<void> = Promise.resolve();
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'stopping: finishing the batch in hand, checkpointing, leaving the group');
    stopping.abort();
    void starting.catch(() => undefined).then(() => service.stop()).then(
      closeHttp,
      (error: unknown) => { logger.error({ err: safeError(error) }, 'unclean stop'); process.exitCode = 1; closeHttp(); },
    );
  };
  process.once('SIGTERM', () => { shutdown('SIGTERM'); });
  process.once('SIGINT', () => { shutdown('SIGINT'); });
  // Detectors and playbooks reload when their files change; SIGHUP reloads them at once.
  process.on('SIGHUP', () => { void service.reloadConfig().catch((error: unknown) => { logger.error({ err: safeError(error) }, 'configuration reload failed'); }); });
  starting = (async () => {
    if (vaultLogin) await loginToVault(vaultLogin.client, vaultLogin.role, config, logger, stopping.signal, startup);
    await service.start(stopping.signal);
  })();
  try {
    await starting;
  } catch (error) {
    // Stopped by a signal while still starting: the shutdown above finishes the job.
    if (stopping.signal.aborted) return;
    await service.stop().catch(() => undefined);
    closeHttp();
    throw error instanceof MeshwardenError ? error : safeError(error);
  }
  logger.info({ port: config.http.port, dryRun: config.dryRun }, 'meshwarden is running');
}

/**
 * The console tokens, each read from its file (a mounted Secret): one token, at least
 * {@link MIN_CONSOLE_TOKEN_LENGTH} characters; every problem reported at once, none printed.
 */
async function readConsoleTokens(config: ServiceConfig, configFile: string): Promise<ConsoleToken[]> {
  const tokens: ConsoleToken[] = [];
  const problems: ConfigProblem[] = [];
  for (const [i, entry] of config.console.tokens.entries()) {
    const problem = (message: string): void => { problems.push({ file: configFile, line: 0, col: 0, path: `console.tokens[${i}].file`, message }); };
    let text: string;
    try {
      text = await readFile(entry.file, 'utf8');
    } catch (error) {
      problem(`cannot read the token file ${entry.file} of console token "${entry.name}" (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
      continue;
    }
    const token = text.trim();
    if (token.length < MIN_CONSOLE_TOKEN_LENGTH || /\s/.test(token)) {
      problem(`the token file of console token "${entry.name}" must hold one token of at least ${MIN_CONSOLE_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`);
      continue;
    }
    tokens.push({ name: entry.name, user: entry.user, secret: new Secret(token) });
  }
  if (new Set(tokens.map((t) => t.secret.reveal())).size !== tokens.length) {
    problems.push({ file: configFile, line: 0, col: 0, path: 'console.tokens', message: 'two console tokens have the same value: each holder needs their own token' });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return tokens;
}

/** What start-up reports through /readyz before the service itself can: the Vault login. */
type StartupChecks = Record<string, string>;

/** Not ready while a start-up check is not `ok`, with each one's reason; then the service's own checks. */
async function readiness(service: MeshwardenService, startup: StartupChecks): Promise<Readiness> {
  const own = await service.readiness();
  const checks = { ...startup, ...own.checks };
  return { ready: own.ready && Object.values(startup).every((state) => state === 'ok'), checks };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Reads and validates the service configuration, reporting every problem with its position. A file
 * that cannot be read is a usage error in one line (its path and why), not a stack trace.
 */
export async function readServiceConfig(path: string): Promise<ServiceConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MeshwardenError('config-unreadable', code === 'ENOENT' ? `--config ${path} does not exist` : `cannot read --config ${path} (${code ?? 'unknown error'})`);
  }
  const result = loadYamlDocuments(path, text, serviceConfigSchema);
  const doc = result.documents[0];
  if (result.problems.length > 0 || doc === undefined) {
    throw new ConfigError(result.problems.length > 0 ? result.problems : [{ file: path, line: 1, col: 1, path: '', message: 'no ServiceConfig document' }]);
  }
  return doc.value;
}

/** Slack's clients: the Web API, one thread per incident, and verified approvals (both persisted in the state directory). */
async function slackWiring(config: ServiceConfig, secret: (name: string) => Secret | undefined, logger: Logger) {
  const token = secret(SECRET_ENV.slackBotToken);
  const bindingSecret = secret(SECRET_ENV.approvalKey);
  if (!token || !bindingSecret) {
    throw new ConfigError([{ file: 'environment', line: 0, col: 0, path: 'slack.enabled', message: `slack is enabled but ${SECRET_ENV.slackBotToken} or ${SECRET_ENV.approvalKey} is not set` }]);
  }
  // Few retries: a step must fail fast and say why rather than block the stream for half an hour.
  const slack = new WebClient(token.reveal(), { ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}), retryConfig: { retries: 2 }, rejectRateLimitedCalls: true });
  // "Silence 4h" on every incident message only when someone may press it.
  const { silencers } = config.slack;
  const silenceButtons = silencers.users.length + silencers.groups.length > 0;
  const threads = new SlackIncidentThreads({
    slack, store: new FileIncidentThreadStore(config.stateDir, logger), logger,
    ...(silenceButtons ? { incidentButtons: (incidentId: string, summary: IncidentSummary) => silenceButtonBlock(bindingSecret, { incidentId, entity: summary.entityKey, detectors: summary.detectors }) } : {}),
  });
  const signingSecret = secret(SECRET_ENV.slackSigningSecret);
  const approvals = await ApprovalService.open({
    slack, threads, store: new FileApprovalStore(config.stateDir), bindingSecret, clock: systemClock, logger,
    ...(signingSecret ? { signingSecret } : {}),
  });
  return { slack, threads, approvals, bindingSecret, silenceButtons };
}

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  // In a pod: the ServiceAccount token; elsewhere: KUBECONFIG or ~/.kube/config.
  if (process.env.KUBERNETES_SERVICE_HOST !== undefined) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

function vaultClient(config: ServiceConfig, token: Secret | undefined): NodeVault.client {
  return NodeVault({ apiVersion: 'v1', ...(config.vault.address !== undefined ? { endpoint: config.vault.address } : {}), ...(token ? { token: token.reveal() } : {}) });
}

/**
 * Logs in with Vault's Kubernetes auth, retried with backoff while Vault is down or unresolvable
 * (readiness says why). A refusal (401/403: wrong role or token) is not retried. What is logged
 * and thrown names the call and Vault's answer only: the request carried the ServiceAccount JWT.
 */
async function loginToVault(client: NodeVault.client, role: string, config: ServiceConfig, logger: Logger, signal: AbortSignal, startup: StartupChecks): Promise<void> {
  const jwt = new Secret((await readFile(config.vault.serviceAccountTokenFile, 'utf8')).trim());
  await retryWithBackoff(async () => {
    try {
      await client.kubernetesLogin({ role, jwt: jwt.reveal(), kubernetesPath: config.vault.kubernetesMount });
    } catch (error) {
      throw vaultActionError('Vault Kubernetes login', error);
    }
  }, {
    what: 'logging in to Vault', logger, signal,
    onFailure: (failure) => { startup.vault = `login failed ${describeFailedAttempt(failure)}`; },
  });
  startup.vault = 'ok';
  logger.info({ role }, 'logged in to Vault with the Kubernetes auth method');
}

function kafkaConfig(config: ServiceConfig, username: Secret | undefined, password: Secret | undefined): KafkaConfig {
  const base: KafkaConfig = { clientId: config.kafka.clientId, brokers: config.kafka.brokers, ssl: config.kafka.ssl };
  if (config.kafka.sasl === undefined) return base;
  if (!username || !password) {
    throw new ConfigError([{ file: 'environment', line: 0, col: 0, path: 'kafka.sasl', message: `kafka.sasl is set but ${SECRET_ENV.kafkaUsername} / ${SECRET_ENV.kafkaPassword} are not` }]);
  }
  const sasl: SASLOptions = { mechanism: config.kafka.sasl, username: username.reveal(), password: password.reveal() };
  return { ...base, sasl };
}

