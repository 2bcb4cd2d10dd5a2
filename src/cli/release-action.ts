import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { releaseOutsideRun } from '../actions/kubernetes/expire-quarantines.js';
import { kubeActionError, kubeStatusOf } from '../actions/kubernetes/kube-errors.js';
import { QUARANTINE_ANNOTATIONS, QUARANTINE_LABEL, planRelease } from '../actions/kubernetes/quarantine-plan.js';
import { releasePod } from '../actions/kubernetes/release-pod.js';
import { systemClock } from '../shared/clock.js';
import { MeshwardenError } from '../shared/errors.js';
import { silentLogger } from '../shared/logger.js';
import { terminalText } from '../shared/terminal-text.js';
import type { PodReference } from './pod-reference.js';
import type { ReleaseOptions } from './release-command.js';

/** What `meshwarden release` does once its argument is a well-formed pod reference. */
export async function releaseAction(params: PodReference, opts: ReleaseOptions): Promise<void> {
  const kube = new KubeConfig();
  if (opts.kubeconfig !== undefined) kube.loadFromFile(opts.kubeconfig);
  else kube.loadFromDefault();
  if (opts.context !== undefined) kube.setCurrentContext(opts.context);
  if (opts.dryRun === true) {
    process.stdout.write(await dryRun(kube, params));
    return;
  }
  const result = await releaseOutsideRun({ kube, clock: systemClock, logger: silentLogger() }, params, {
    via: 'manual-release', idempotencyKey: `manual-release/${params.namespace}/${params.pod}/${systemClock.now()}`,
  });
  // The summary names what the cluster answered (labels, policy names): escaped like any other value.
  process.stdout.write(`${result.outcome === 'already-done' ? 'nothing to do: ' : ''}${terminalText(result.summary, 1024)}\n`);
}

/**
 * Reads the pod (with the operator's credentials, changing nothing) and says what a release would
 * do to it: nothing when it is not quarantined; a pod that does not exist is an error (exit 2).
 */
async function dryRun(kube: KubeConfig, params: PodReference): Promise<string> {
  const what = `read pod ${params.namespace}/${params.pod}`;
  let pod;
  try {
    pod = await kube.makeApiClient(CoreV1Api).readNamespacedPod({ namespace: params.namespace, name: params.pod });
  } catch (error) {
    if (kubeStatusOf(error) === 404) throw new MeshwardenError('pod-not-found', `pod ${params.namespace}/${params.pod} does not exist`);
    throw kubeActionError(what, error);
  }
  const name = `${params.namespace}/${params.pod}`;
  let plan;
  try {
    plan = planRelease(pod);
  } catch (error) {
    throw new MeshwardenError('release-impossible', `cannot release pod ${params.namespace}/${params.pod}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (plan === undefined) {
    const label = pod.metadata?.labels?.[QUARANTINE_LABEL];
    return `dry-run: nothing to do: pod ${terminalText(name)} is not quarantined${label === undefined ? '' : ` (it carries ${QUARANTINE_LABEL}=${terminalText(label, 64)} but no record of its original labels)`}\n`;
  }
  const since = pod.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.quarantinedAt];
  return `pod ${terminalText(name)} is quarantined${since === undefined ? '' : ` since ${terminalText(since, 64)}`} (NetworkPolicy ${terminalText(plan.policyName, 300)})\n` +
    `dry-run: would ${terminalText(releasePod.describe(params), 1024)}\n`;
}
