import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { KubeConfig } from '@kubernetes/client-node';
import NodeVault from 'node-vault';
import { WebClient } from '@slack/web-api';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { SECRET_ENV, serviceConfigSchema, type ServiceConfig } from '../config/service-config.js';
import { loadYamlDocuments } from '../config/yaml-document.js';
import { createHttpServer, MeshwardenService } from '../service.js';
import { createMetrics } from '../server/metrics.js';
import { systemClock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { Secret } from '../shared/secret.js';

/** `meshwarden serve --config <file>`: the cluster service. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the cluster service: consume Kafka, detect, act on Kubernetes/Vault/Slack, serve /healthz /readyz /metrics')
    .requiredOption('--config <file>', 'service configuration (kind: ServiceConfig)')
    .action(async (opts: { config: string }) => {
      const config = await readServiceConfig(opts.config);
      const logger = createLogger({ level: config.logLevel });
      const metrics = createMetrics();
      const secret = (name: string): Secret | undefined => {
        const value = process.env[name];
        return value === undefined || value === '' ? undefined : new Secret(value);
      };
      const kube = config.kubernetes.enabled ? kubeConfig() : undefined;
      const vault = config.vault.enabled ? await vaultClient(config, secret(SECRET_ENV.vaultToken), logger) : undefined;
      const slackToken = secret(SECRET_ENV.slackBotToken);
      const slack = config.slack.enabled && slackToken ? new WebClient(slackToken.reveal(), config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}) : undefined;
      const service = new MeshwardenService({
        config, kafka: kafkaConfig(config, secret(SECRET_ENV.kafkaUsername), secret(SECRET_ENV.kafkaPassword)),
        ...(kube ? { kube } : {}),
        actionDeps: { ...(kube ? { kube } : {}), ...(vault ? { vault } : {}), ...(slack ? { slack } : {}) },
        clock: systemClock, logger, metrics,
      });
      const http = createHttpServer(service, metrics);
      http.listen(config.http.port, config.http.host);
      const shutdown = (signal: string): void => {
        logger.info({ signal }, 'stopping: finishing the batch in hand, checkpointing, leaving the group');
        void service.stop().then(
          () => { http.close(); },
          (error: unknown) => { logger.error({ err: error }, 'unclean stop'); process.exitCode = 1; http.close(); },
        );
      };
      process.once('SIGTERM', () => { shutdown('SIGTERM'); });
      process.once('SIGINT', () => { shutdown('SIGINT'); });
      await service.start();
      logger.info({ port: config.http.port, dryRun: config.dryRun }, 'meshwarden is running');
    });
}

/** Reads and validates the service configuration, reporting every problem with its position. */
export async function readServiceConfig(path: string): Promise<ServiceConfig> {
  const result = loadYamlDocuments(path, await readFile(path, 'utf8'), serviceConfigSchema);
  const doc = result.documents[0];
  if (result.problems.length > 0 || doc === undefined) {
    throw new ConfigError(result.problems.length > 0 ? result.problems : [{ file: path, line: 1, col: 1, path: '', message: 'no ServiceConfig document' }]);
  }
  return doc.value;
}

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  // In a pod: the ServiceAccount token; elsewhere: KUBECONFIG or ~/.kube/config.
  if (process.env.KUBERNETES_SERVICE_HOST !== undefined) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

async function vaultClient(config: ServiceConfig, token: Secret | undefined, logger: Logger): Promise<NodeVault.client> {
  const client = NodeVault({ apiVersion: 'v1', ...(config.vault.address !== undefined ? { endpoint: config.vault.address } : {}), ...(token ? { token: token.reveal() } : {}) });
  if (config.vault.kubernetesRole !== undefined) {
    const jwt = await readFile('/var/run/secrets/kubernetes.io/serviceaccount/token', 'utf8');
    await client.kubernetesLogin({ role: config.vault.kubernetesRole, jwt, kubernetesPath: config.vault.kubernetesMount });
    logger.info({ role: config.vault.kubernetesRole }, 'logged in to Vault with the Kubernetes auth method');
  }
  return client;
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

