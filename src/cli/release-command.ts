import { KubeConfig } from '@kubernetes/client-node';
import { Command } from 'commander';
import { releaseOutsideRun } from '../actions/kubernetes/expire-quarantines.js';
import { releasePod } from '../actions/kubernetes/release-pod.js';
import { systemClock } from '../shared/clock.js';
import { MeshwardenError } from '../shared/errors.js';
import { describeZodIssues } from '../shared/describe-issues.js';
import { silentLogger } from '../shared/logger.js';
import { terminalText } from '../shared/terminal-text.js';

interface ReleaseOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly dryRun?: boolean;
}

/**
 * `meshwarden release <namespace>/<pod>`: a person undoes a quarantine with their own Kubernetes
 * credentials, exactly as the engine's `kubernetes.release-pod` does (labels restored, deny-all
 * policy removed, the ReplicaSet adopts the pod again). The engine's sweeper sees the pod is no
 * longer quarantined and stops counting it against the blast-radius budgets, with a ledger record.
 */
export function releaseCommand(): Command {
  return new Command('release')
    .description('release a quarantined pod with your own Kubernetes credentials: restore its labels, remove its deny-all NetworkPolicy')
    .argument('<pod>', 'the quarantined pod, as <namespace>/<name>')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--dry-run', 'say what would be done and change nothing')
    .action(async (pod: string, opts: ReleaseOptions) => {
      const [namespace, name, ...rest] = pod.split('/');
      const parsed = releasePod.params.safeParse({ namespace, pod: name });
      if (rest.length > 0 || !parsed.success) {
        throw new MeshwardenError('usage', `expected <namespace>/<pod>, got ${JSON.stringify(pod)}${parsed.success ? '' : ` (${describeZodIssues(parsed.error)})`}`);
      }
      const params = parsed.data;
      if (opts.dryRun === true) {
        process.stdout.write(`dry-run: would ${terminalText(releasePod.describe(params), 1024)}\n`);
        return;
      }
      const kube = new KubeConfig();
      if (opts.kubeconfig !== undefined) kube.loadFromFile(opts.kubeconfig);
      else kube.loadFromDefault();
      if (opts.context !== undefined) kube.setCurrentContext(opts.context);
      const result = await releaseOutsideRun({ kube, clock: systemClock, logger: silentLogger() }, params, {
        via: 'manual-release', idempotencyKey: `manual-release/${params.namespace}/${params.pod}/${systemClock.now()}`,
      });
      // The summary names what the cluster answered (labels, policy names): escaped like any other value.
      process.stdout.write(`${result.outcome === 'already-done' ? 'nothing to do: ' : ''}${terminalText(result.summary, 1024)}\n`);
    });
}
