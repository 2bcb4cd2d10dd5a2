import { Command } from 'commander';
import { parsePodReference } from './pod-reference.js';

/** Options of `meshwarden release`. */
export interface ReleaseOptions {
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
    .option('--dry-run', 'ask the API server whether the pod exists and is quarantined, say what would be done, and change nothing')
    .action(async (pod: string, opts: ReleaseOptions) => {
      const reference = parsePodReference(pod);
      // The Kubernetes client loads only once a release is really asked for.
      const { releaseAction } = await import('./release-action.js');
      await releaseAction(reference, opts);
    });
}
