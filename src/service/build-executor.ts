import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ActionDeps } from '../actions/action-context.js';
import type { ActionTarget } from '../actions/action-definition.js';
import { inspectKubeTarget } from '../actions/kubernetes/inspect-target.js';
import type { ApprovalService } from '../approvals/approval-service.js';
import { currentSubjectsWith } from '../approvals/current-subjects.js';
import { SlackApprovalGate } from '../approvals/slack-approval-gate.js';
import type { ClusterRails } from '../coordination/cluster-rails.js';
import { KubeLeaseClaims } from '../coordination/kube-lease-claims.js';
import type { RunClaims } from '../coordination/run-claims.js';
import type { ServiceConfig } from '../config/service-config.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import { RunExecutor, type RunExecutorDeps } from '../playbook/run-executor.js';
import { FileRunStore } from '../playbook/run-store.js';
import type { SafetyGuard } from '../playbook/safety-guard.js';
import { policyGate } from '../policy/policy-gate.js';
import type { SilenceCache } from '../silences/silence-cache.js';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { AuditTee } from './audit-tee.js';

/** What the service's executor is built from. */
export interface ExecutorParts {
  readonly config: ServiceConfig;
  /** The clients actions run with, with the service's clock and logger. */
  readonly actionDeps: ActionDeps;
  /** Slack approvals; without them every approval step denies (deny by default). */
  readonly approvals: ApprovalService | undefined;
  readonly playbooks: readonly PlaybookSpec[];
  readonly guard: SafetyGuard;
  readonly ledger: AuditTee;
  readonly claims: RunClaims | undefined;
  readonly rails: ClusterRails | undefined;
  readonly silences: SilenceCache;
  /** Where each live step's result goes (Kubernetes Events, the incident's Slack thread). */
  readonly onStep: NonNullable<RunExecutorDeps['onStep']>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The shared executor of live runs, with Slack approvals and cluster-wide claims when configured. */
export function buildExecutor(parts: ExecutorParts): { executor: RunExecutor; store: FileRunStore; gate: SlackApprovalGate | undefined } {
  const { config, actionDeps, approvals, playbooks, guard, ledger, claims, rails, silences, onStep, clock, logger } = parts;
  // The gate hands verified decisions back to the executor that parked the run.
  const kube = actionDeps.kube;
  const inspectTarget = kube ? (target: ActionTarget) => inspectKubeTarget(kube, target) : undefined;
  const gate = approvals
    ? new SlackApprovalGate({
        service: approvals, logger, deliver: (runId, approvalId, decision) => executor.decide(runId, approvalId, decision),
        ...(inspectTarget ? { currentSubjects: currentSubjectsWith(inspectTarget) } : {}),
      })
    : undefined;
  const store = new FileRunStore(join(config.stateDir, 'runs'));
  const executor: RunExecutor = new RunExecutor({
    playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard, store, ledger,
    actionDeps,
    ...(gate ? { approvals: gate } : {}),
    onStep,
    ...(inspectTarget ? { inspectTarget } : {}),
    ...(claims ? { claims: { store: claims, holdAtLeastMs: config.coordination.holdAtLeast } } : {}),
    ...(rails ? { clusterRails: rails } : {}),
    ...(config.policy.enabled ? { policy: policyGate(config.policy, { guard, clock, ...(kube ? { kube } : {}) }) } : {}),
    silences,
  });
  return { executor, store, gate };
}

/**
 * Where runs claim their playbook and entity. Leases on the API server when configured (or
 * `auto` with Kubernetes enabled and live actions); none in dry-run or with `none`.
 */
export function claimStore(config: ServiceConfig, kube: KubeConfig | undefined, clock: Clock, logger: Logger): RunClaims | undefined {
  const mode = config.coordination.claims;
  if (mode === 'none' || (mode === 'auto' && (config.dryRun || !config.kubernetes.enabled))) {
    if (!config.dryRun) logger.warn('run claims are off: run a single replica, or two replicas may act on one entity');
    return undefined;
  }
  if (!kube) throw new ConfigError([{ file: 'config', line: 0, col: 0, path: 'coordination.claims', message: 'run claims need a Kubernetes client, and none is configured' }]);
  return new KubeLeaseClaims(kube, config.namespace, clock);
}
