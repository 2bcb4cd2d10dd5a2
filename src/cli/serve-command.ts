import { Command } from 'commander';

/** `meshwarden serve --config <file>`: the cluster service. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the cluster service: consume Kafka, detect, act on Kubernetes/Vault/Slack, serve /healthz /readyz /metrics')
    .requiredOption('--config <file>', 'service configuration (kind: ServiceConfig)')
    .action(async (opts: { config: string }) => {
      // The SDKs load with the service, not with every command (see serve-action.ts).
      const { serveAction } = await import('./serve-action.js');
      await serveAction(opts);
    });
}
