import type { ActionDefinition, ActionTarget } from '../actions/action-definition.js';
import type { Entity } from '../features/entity.js';
import { formatDuration } from '../shared/duration.js';
import { DEFAULT_INFRASTRUCTURE, infrastructureReason, type InfrastructurePolicy } from './infrastructure-target.js';
import { TargetCooldowns, type CooldownRequester, type TargetCooldown } from './target-cooldowns.js';
import { trustedSource } from './trusted-source.js';

/** How many actions that change something may run per window. */
export interface RateLimit {
  readonly count: number;
  readonly windowMs: number;
}

/** The rails every automatic action passes before it runs. */
export interface SafetyPolicy {
  /** No action may target these namespaces (kube-system, the mesh control plane, the engine's own). */
  readonly protectedNamespaces: readonly string[];
  /** Never the templated target of a step that changes something (gateways, the engine, istio-system). */
  readonly infrastructure: InfrastructurePolicy;
  /** Actions that change something (every provider but Slack), per target, per namespace and in total. */
  readonly rateLimits: { readonly perTarget: RateLimit; readonly perNamespace: RateLimit; readonly global: RateLimit };
  /** At most this many pods of one workload / one namespace quarantined at once. */
  readonly blastRadius: { readonly maxQuarantinedPerWorkload: number; readonly maxQuarantinedPerNamespace: number };
  /**
   * When one detector flags more than `maxShare` of the entities it scored in a window (with at
   * least `minEntities` scored), something is wrong with the detector or the whole platform, not
   * with each entity: automatic actions on its anomalies stop for `openForMs` and a human decides.
   * Entities count by their trusted source (see trusted-source.ts), and the flagged ones must come
   * from at least `minSources` distinct sources, so names a client invents cannot open it.
   */
  readonly breaker: { readonly maxShare: number; readonly minEntities: number; readonly minSources: number; readonly openForMs: number };
}

/**
 * The rails out of the box. `istio-system` is the mesh control plane: acting on it takes down every
 * workload's traffic. `default` is protected because a production mesh runs no workloads there, so
 * an entity resolved into it is far likelier a misattribution than a suspect; clusters that do run
 * workloads in it opt in by listing their own protected namespaces. A breaker needs flagged
 * entities from 3 distinct trusted sources: one source (one client, however many names it claims,
 * or one network) can never open it, and a detector or platform gone wrong (what the breaker is
 * for) shows across many sources at once, since it also needs 10 entities scored and 30% flagged.
 */
/**
 * Namespaces no action may touch by default, besides the engine's own: the cluster's system
 * namespaces, the mesh control plane, and `default` (no production workload runs there, so an
 * entity resolved into it is more likely misattributed).
 */
export const CLUSTER_PROTECTED_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease', 'istio-system', 'default'];

export const DEFAULT_SAFETY_POLICY: SafetyPolicy = {
  protectedNamespaces: [...CLUSTER_PROTECTED_NAMESPACES, 'meshwarden'],
  infrastructure: DEFAULT_INFRASTRUCTURE,
  rateLimits: {
    perTarget: { count: 3, windowMs: 3_600_000 },
    perNamespace: { count: 10, windowMs: 3_600_000 },
    global: { count: 30, windowMs: 3_600_000 },
  },
  blastRadius: { maxQuarantinedPerWorkload: 1, maxQuarantinedPerNamespace: 3 },
  breaker: { maxShare: 0.3, minEntities: 10, minSources: 3, openForMs: 30 * 60_000 },
};

/** The question asked of the guard before one step runs. */
export interface GuardRequest {
  readonly action: ActionDefinition;
  readonly target: ActionTarget;
  /** Workload of the target, when the target is a pod (for the blast-radius budget). */
  readonly workload?: string;
  /** Detector whose anomaly triggered the run (for the breaker). */
  readonly detector: string;
  /** The run asking, its playbook and the playbook's cooldown (for the per-target cooldown). */
  readonly run?: CooldownRequester;
  /** The entity of the triggering anomaly: tells whether a templated target is a gateway. */
  readonly entity?: Entity;
  /**
   * True when the playbook names the target literally (no template in the parameters that pick
   * it): a SOC that writes `istio-system/istio-ingressgateway` means it, a template never does.
   */
  readonly literalTarget?: boolean;
}

/**
 * The guard's answer. `coveredBy`: the refusal is a per-target cooldown held by another run, which
 * took this very step on this target already: the step is covered, not refused.
 */
export type GuardVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string; readonly coveredBy?: TargetCooldown };

/** A rate limit a step that changes something counts against, with the key its events are counted under. */
export interface RateScope {
  readonly key: string;
  readonly limit: RateLimit;
  /** `Pod inference-x`, `namespace ml-prod`, `the whole engine`: for refusal messages. */
  readonly what: string;
}

/** The rate limits a step on `target` counts against: the target, its namespace, the engine. */
export function rateScopes(target: ActionTarget, policy: SafetyPolicy): RateScope[] {
  const limits = policy.rateLimits;
  return [
    { key: `target:${target.kind}/${target.namespace ?? ''}/${target.name}`, limit: limits.perTarget, what: `${target.kind} ${target.name}` },
    ...(target.namespace !== undefined ? [{ key: `namespace:${target.namespace}`, limit: limits.perNamespace, what: `namespace ${target.namespace}` }] : []),
    { key: 'global', limit: limits.global, what: 'the whole engine' },
  ];
}

/** The rails as the guard sees them for one step (see {@link SafetyGuard.railsState}). */
export interface RailsState {
  readonly rateLimits: readonly { readonly scope: string; readonly used: number; readonly limit: number; readonly windowMs: number }[];
  readonly blastRadius: readonly { readonly scope: string; readonly quarantined: number; readonly budget: number; readonly includesTarget: boolean }[];
  readonly breaker: { readonly open: false } | { readonly open: true; readonly until: string; readonly share: number; readonly scored: number };
}

/** A blast-radius budget a quarantined pod counts against. */
export interface BlastScope {
  readonly key: string;
  readonly budget: number;
  /** `of ml-prod/inference`, `in namespace ml-prod`: for refusal messages. */
  readonly what: string;
}

/** The blast-radius budgets of a pod in `namespace`: its workload's (when known), then its namespace's. */
export function blastScopes(namespace: string, workload: string | undefined, policy: SafetyPolicy): BlastScope[] {
  const budget = policy.blastRadius;
  return [
    ...(workload !== undefined ? [{ key: `workload:${namespace}/${workload}`, budget: budget.maxQuarantinedPerWorkload, what: `of ${namespace}/${workload}` }] : []),
    { key: `namespace:${namespace}`, budget: budget.maxQuarantinedPerNamespace, what: `in namespace ${namespace}` },
  ];
}

/** Serialisable guard state, so limits and budgets survive a restart. */
export interface SafetyGuardSnapshot {
  readonly events: Record<string, number[]>;
  readonly quarantined: Record<string, string[]>;
  readonly breakers: Record<string, OpenBreaker>;
  /** Absent in state saved before targets had cooldowns of their own. */
  readonly cooldowns?: Record<string, TargetCooldown>;
}

/** A detector's open breaker: until when, and the window that opened it. */
export interface OpenBreaker {
  readonly until: number;
  readonly share: number;
  readonly scored: number;
  /** Distinct trusted sources among the flagged entities (absent in state saved before it was counted). */
  readonly sources?: number;
}

/**
 * True for actions that change something a workload depends on or holds: every action but the
 * Slack ones, which only post. A restart or a secret rotation is not "destructive" (nothing is
 * lost), yet an attacker who can repeat it at will disrupts the service, so the rate limits, the
 * per-target cooldown and the infrastructure gate apply to it.
 */
export function changesSomething(action: ActionDefinition): boolean {
  return action.destructive || action.provider !== 'slack';
}

const QUARANTINE = 'kubernetes.quarantine-pod';
const RELEASE = 'kubernetes.release-pod';

/**
 * Protected namespaces, the infrastructure gate, the detector breaker, per-target cooldowns, rate
 * limits and blast-radius budgets. `check` says
 * whether a step may run now; `record` books a step that ran. Time is passed in (event time in
 * replays, wall time in the service), so every rail is testable without sleeping.
 */
export class SafetyGuard {
  private readonly events = new Map<string, number[]>();
  private readonly quarantined = new Map<string, Set<string>>();
  private readonly breakers = new Map<string, OpenBreaker>();
  private readonly cooldowns: TargetCooldowns;
  private readonly protectedNamespaces: ReadonlySet<string>;

  constructor(private readonly policy: SafetyPolicy = DEFAULT_SAFETY_POLICY, snapshot?: SafetyGuardSnapshot) {
    this.protectedNamespaces = new Set(policy.protectedNamespaces);
    this.cooldowns = new TargetCooldowns(snapshot?.cooldowns);
    if (snapshot) {
      for (const [k, v] of Object.entries(snapshot.events)) this.events.set(k, [...v]);
      for (const [k, v] of Object.entries(snapshot.quarantined)) this.quarantined.set(k, new Set(v));
      for (const [k, v] of Object.entries(snapshot.breakers)) this.breakers.set(k, { ...v });
    }
  }

  check(request: GuardRequest, now: number): GuardVerdict {
    const { action, target } = request;
    if (target.namespace !== undefined && this.protectedNamespaces.has(target.namespace)) {
      return { allowed: false, reason: `namespace ${target.namespace} is protected; no action may target it` };
    }
    if (!changesSomething(action)) return { allowed: true };
    if (request.literalTarget !== true) {
      const infrastructure = infrastructureReason(target, request.entity, this.policy.infrastructure);
      if (infrastructure !== undefined) {
        return { allowed: false, reason: `infrastructure: ${infrastructure}; a playbook acts on it only when it names it literally, never through a template` };
      }
    }
    const breaker = this.breakers.get(request.detector);
    if (action.destructive && breaker && now < breaker.until) {
      const sources = breaker.sources !== undefined ? ` from ${breaker.sources} distinct source(s)` : '';
      return {
        allowed: false,
        reason: `breaker open: detector ${request.detector} flagged ${(breaker.share * 100).toFixed(0)}% of ${breaker.scored} entities${sources} in one window; automatic action is suspended until ${new Date(breaker.until).toISOString()} and needs a human`,
      };
    }
    if (request.run !== undefined) {
      const cooling = this.cooldowns.check(action, target, request.run, now);
      const holder = this.cooldowns.holder(action, target, request.run, now);
      if (cooling !== undefined) return { allowed: false, reason: cooling, ...(holder !== undefined ? { coveredBy: holder } : {}) };
    }
    for (const { key, limit, what } of rateScopes(target, this.policy)) {
      const recent = this.recent(key, limit, now);
      if (recent >= limit.count) {
        return { allowed: false, reason: `rate limit: ${recent} action(s) on ${what} in the last ${formatDuration(limit.windowMs)} (limit ${limit.count})` };
      }
    }
    if (action.id === QUARANTINE && target.namespace !== undefined && !this.quarantined.get(`namespace:${target.namespace}`)?.has(`${target.namespace}/${target.name}`)) {
      // A pod already quarantined is not a new one: the budget counts pods, not attempts.
      for (const { key, budget, what } of blastScopes(target.namespace, request.workload, this.policy)) {
        const count = this.quarantined.get(key)?.size ?? 0;
        if (count >= budget) return { allowed: false, reason: `blast radius: ${count} pod(s) ${what} already quarantined (budget ${budget})` };
      }
    }
    return { allowed: true };
  }

  /** Books a step that ran (dry-run steps count too: a replay shows what the rails would allow). */
  record(request: GuardRequest, now: number): void {
    const { action, target } = request;
    if (changesSomething(action)) {
      if (request.run !== undefined) this.cooldowns.record(action, target, request.run, now);
      for (const { key } of rateScopes(target, this.policy)) {
        const list = this.events.get(key) ?? [];
        list.push(now);
        this.events.set(key, list);
      }
    }
    if (target.namespace === undefined) return;
    const pod = `${target.namespace}/${target.name}`;
    for (const { key } of blastScopes(target.namespace, request.workload, this.policy)) {
      const set = this.quarantined.get(key) ?? new Set<string>();
      if (action.id === QUARANTINE) set.add(pod);
      else if (action.id === RELEASE) set.delete(pod);
      this.quarantined.set(key, set);
    }
  }

  /**
   * The rails as this guard sees them for one request, without booking anything: the rate limits
   * it counts against (used and limit), the blast-radius budgets of a quarantine, and the
   * detector's breaker. The policy gate hands this to the policy (see src/policy/policy-input.ts).
   */
  railsState(request: GuardRequest, now: number): RailsState {
    const { target } = request;
    const breaker = this.breakers.get(request.detector);
    const pod = target.namespace !== undefined ? `${target.namespace}/${target.name}` : undefined;
    return {
      rateLimits: rateScopes(target, this.policy).map(({ key, limit }) => ({ scope: key, used: this.recent(key, limit, now), limit: limit.count, windowMs: limit.windowMs })),
      blastRadius: request.action.id === QUARANTINE && target.namespace !== undefined
        ? blastScopes(target.namespace, request.workload, this.policy).map(({ key, budget }) => ({ scope: key, quarantined: this.quarantined.get(key)?.size ?? 0, budget, includesTarget: pod !== undefined && this.quarantined.get(key)?.has(pod) === true }))
        : [],
      breaker: breaker && now < breaker.until ? { open: true, until: new Date(breaker.until).toISOString(), share: breaker.share, scored: breaker.scored } : { open: false },
    };
  }

  /** Every pod (`namespace/name`) counted against a blast-radius budget. */
  quarantinedPods(): Set<string> {
    const pods = new Set<string>();
    for (const [group, members] of this.quarantined) if (group.startsWith('namespace:')) for (const pod of members) pods.add(pod);
    return pods;
  }

  /** A pod released outside a playbook step (the expiry sweeper): it no longer counts against any budget. */
  forgetQuarantine(namespace: string, pod: string): void {
    const key = `${namespace}/${pod}`;
    for (const [group, pods] of this.quarantined) if (group === `namespace:${namespace}` || group.startsWith(`workload:${namespace}/`)) pods.delete(key);
  }

  /**
   * Feeds the breaker with one detector's verdicts over one window: the entities it flagged and
   * how many it scored. Flagged entities count by trusted source, so a hundred names one client
   * made up are one flagged source (and the scored total shrinks by the duplicates). Returns the
   * breaker when this window opened it, so the caller can record it and tell a human.
   */
  observeWindow(detector: string, flagged: readonly Entity[], scored: number, windowEnd: number): Required<OpenBreaker> | undefined {
    const { maxShare, minEntities, minSources, openForMs } = this.policy.breaker;
    const sources = new Set(flagged.map(trustedSource)).size;
    const counted = scored - (flagged.length - sources);
    // Whatever the policy says, one source never opens it: that would hand one client the off switch.
    if (sources < Math.max(minSources, 2) || counted < minEntities || sources / counted <= maxShare) return undefined;
    const current = this.breakers.get(detector);
    const opened = { until: windowEnd + openForMs, share: sources / counted, scored: counted, sources };
    this.breakers.set(detector, opened);
    return current && current.until > windowEnd ? undefined : opened;
  }

  snapshot(): SafetyGuardSnapshot {
    return {
      events: Object.fromEntries(this.events),
      quarantined: Object.fromEntries([...this.quarantined].map(([k, v]) => [k, [...v]])),
      breakers: Object.fromEntries(this.breakers),
      cooldowns: this.cooldowns.snapshot(),
    };
  }

  private recent(key: string, limit: RateLimit, now: number): number {
    const list = this.events.get(key);
    if (!list) return 0;
    // Drop what fell out of the window, so the log stays bounded by the limit's count.
    while (list.length > 0 && (list[0] ?? 0) <= now - limit.windowMs) list.shift();
    return list.length;
  }
}
