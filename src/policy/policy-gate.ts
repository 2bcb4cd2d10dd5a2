import type { ActionDefinition, ActionTarget } from '../actions/action-definition.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ObservedTarget } from '../actions/kubernetes/inspect-target.js';
import { canonicalJson } from '../audit/canonical-json.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import { changesSomething, type SafetyGuard } from '../playbook/safety-guard.js';
import type { StepPolicy, StepPolicyQuestion, StepPolicyVerdict } from '../playbook/step-policy.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import { DecisionCache, type DecisionCacheOptions } from './decision-cache.js';
import { OpaClient, PolicyError, type PolicyClient, type PolicyDecision } from './opa-client.js';
import { policyInput } from './policy-input.js';

/** An input larger than this is not sent: the step is refused, whatever the playbook's failOpen. */
export const MAX_INPUT_BYTES = 256 * 1024;

/** What the gate needs, passed in. */
export interface PolicyGateDeps {
  readonly client: PolicyClient;
  /** The rails' state shown to the policy is this guard's. */
  readonly guard: SafetyGuard;
  /** Wall clock: ages the cache (the time shown to the policy is the question's). */
  readonly clock: Clock;
  readonly cache: DecisionCacheOptions;
  /** Reads the target from the cluster (see inspect-target.ts `observeKubeTarget`); absent without one. */
  readonly readTarget?: (target: ActionTarget, action: ActionDefinition, params: Readonly<Record<string, unknown>>) => Promise<ObservedTarget | undefined>;
}

/** A playbook's `spec.policy`, with its defaults. */
export function policySettings(playbook: PlaybookSpec): { readonly failOpen: boolean; readonly everyStep: boolean } {
  return { failOpen: playbook.spec.policy?.failOpen ?? false, everyStep: playbook.spec.policy?.everyStep ?? false };
}

/**
 * The policy gate: before a step that changes something (every step, with `spec.policy.everyStep`)
 * it asks the policy with the step's input document (policy-input.ts) and turns the answer into a
 * verdict. A deny, a malformed answer, an undefined decision and an oversized input refuse the
 * step; a policy that cannot be reached or does not answer in time refuses it too (fail closed)
 * unless the playbook says `failOpen`, and then the record says the step ran unchecked.
 */
export class PolicyGate implements StepPolicy {
  private readonly cache: DecisionCache;

  constructor(private readonly deps: PolicyGateDeps) {
    this.cache = new DecisionCache(deps.cache, deps.clock);
  }

  async ask(question: StepPolicyQuestion): Promise<StepPolicyVerdict | undefined> {
    const settings = policySettings(question.playbook);
    if (!settings.everyStep && !changesSomething(question.action)) return undefined;
    try {
      return await this.decide(question, settings.failOpen);
    } catch (error) {
      // Whatever went wrong building the question is a refusal, never a pass.
      const reason = `policy check failed, so the step does not run: ${describeError(error)}`;
      return { allowed: false, reason, record: { decision: 'fail-closed', reasons: [reason] } };
    }
  }

  private async decide(question: StepPolicyQuestion, failOpen: boolean): Promise<StepPolicyVerdict> {
    const { observed, readError } = await this.observe(question);
    const input = policyInput({
      run: question.run, vars: question.playbook.spec.vars, index: question.index, stepName: question.stepName,
      action: question.action, params: question.params, target: question.target, observed,
      ...(readError !== undefined ? { readError } : {}),
      rails: this.deps.guard.railsState(question.request, question.now), now: question.now,
    });
    const canonical = canonicalJson(input);
    const bytes = Buffer.byteLength(canonical);
    if (bytes > MAX_INPUT_BYTES) {
      // Never fail open here: the input's size is partly the attacker's to choose.
      const reason = `policy input is ${bytes} bytes, over the ${MAX_INPUT_BYTES}-byte limit; the step is refused without asking`;
      return { allowed: false, reason, record: { decision: 'fail-closed', reasons: [reason] } };
    }
    const key = DecisionCache.key(canonical);
    const cached = this.cache.get(key);
    if (cached !== undefined) return verdict(cached, true);
    let decision: PolicyDecision;
    try {
      decision = await this.deps.client.decide(input);
    } catch (error) {
      const unreachable = error instanceof PolicyError && error.retriable;
      const why = describeError(error);
      if (unreachable && failOpen) {
        return { allowed: true, record: { decision: 'fail-open', reasons: [`policy not asked (${why}); the playbook fails open, so the step runs unchecked`] } };
      }
      const reason = unreachable ? `policy unavailable, failing closed: ${why}` : `policy answer unusable, treated as a deny: ${why}`;
      return { allowed: false, reason, record: { decision: 'fail-closed', reasons: [reason] } };
    }
    this.cache.set(key, decision);
    return verdict(decision, false);
  }

  private async observe(question: StepPolicyQuestion): Promise<{ observed: ObservedTarget | undefined; readError?: string }> {
    const read = this.deps.readTarget;
    if (read === undefined) return { observed: undefined };
    try {
      return { observed: await read(question.target, question.action, question.params) };
    } catch (error) {
      // The policy decides what an unreadable target means; the shipped ones refuse.
      return { observed: undefined, readError: describeError(error).slice(0, 300) };
    }
  }
}

function verdict(decision: PolicyDecision, cached: boolean): StepPolicyVerdict {
  const record = { decision: decision.allow ? 'allow' : 'deny', reasons: decision.reasons, ...(cached ? { cached } : {}) } as const;
  if (decision.allow) return { allowed: true, record };
  const reason = decision.reasons.length > 0 ? `policy denied: ${decision.reasons.join('; ')}` : 'policy denied (it gave no reason)';
  return { allowed: false, reason, record };
}

/** The service config's `policy` section (and `run --policy-url`'s equivalent). */
export interface PolicyGateConfig {
  readonly url: string;
  readonly path: string;
  /** Milliseconds. */
  readonly timeout: number;
  readonly cacheSize: number;
  /** Milliseconds. */
  readonly cacheTtl: number;
}

/** A gate asking OPA's Data API, reading targets through `kube` when the engine has a cluster. */
export function policyGate(config: PolicyGateConfig, deps: { readonly guard: SafetyGuard; readonly clock: Clock; readonly kube?: KubeConfig }): PolicyGate {
  const kube = deps.kube;
  return new PolicyGate({
    client: new OpaClient({ url: config.url, path: config.path, timeoutMs: config.timeout }),
    guard: deps.guard, clock: deps.clock, cache: { maxEntries: config.cacheSize, ttlMs: config.cacheTtl },
    // Imported on first use: the embedded mode and the CLI never load the Kubernetes client.
    ...(kube ? { readTarget: async (target: ActionTarget, action: ActionDefinition, params: Readonly<Record<string, unknown>>) => (await import('../actions/kubernetes/inspect-target.js')).observeKubeTarget(kube, target, action.id, params) } : {}),
  });
}
