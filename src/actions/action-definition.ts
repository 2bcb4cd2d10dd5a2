import type { z } from 'zod';
import type { ActionContext, ActionResult } from './action-context.js';

/** One Kubernetes RBAC rule an action needs; the Helm chart's Role is derived from these. */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** One Vault policy rule an action needs. */
export interface VaultRule {
  /** Path with `{mount}`/`{path}` placeholders filled from the parameters at review time. */
  readonly path: string;
  readonly capabilities: readonly ('create' | 'read' | 'update' | 'delete' | 'list' | 'sudo')[];
}

/** What an action acts on. The cooldown, blast-radius and approval bindings key on it. */
export interface ActionTarget {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/**
 * A response action, self-describing: its parameters, what it would do (dry-run), the permissions
 * it needs and its inverse. Each action lives in its own file under src/actions/<provider>/.
 */
export interface ActionDefinition<S extends z.ZodType = z.ZodType> {
  /** `<provider>.<verb>-<object>`, e.g. `kubernetes.quarantine-pod`. */
  readonly id: string;
  readonly provider: 'kubernetes' | 'vault' | 'slack';
  readonly summary: string;
  /** Strict parameter schema; string parameters may hold `{{ entity.* }}` / `{{ anomaly.* }}` templates. */
  readonly params: S;
  readonly rbac: readonly RbacRule[];
  readonly vault?: readonly VaultRule[];
  /** Id of the action that undoes this one, where one exists. */
  readonly inverse?: string;
  /** True when the action changes or removes something a workload depends on. */
  readonly destructive: boolean;
  /** A valid parameter set, shown in docs and checked by the contract tests. */
  readonly example: z.input<S>;
  target(params: z.output<S>): ActionTarget;
  /** One sentence saying exactly what the action would do: the dry-run record. */
  describe(params: z.output<S>): string;
  /**
   * Performs the action for real. Idempotent: with the same `ctx.idempotencyKey` a second call
   * changes nothing and returns `already-done`. Throws `ActionError` (reason auth, rate-limited,
   * client, server, timeout, conflict, refused). Absent while an action exists only in dry-run.
   */
  execute?(params: z.output<S>, ctx: ActionContext): Promise<ActionResult>;
}

/** Type helper: keeps the schema's type while checking the definition's shape. */
export function defineAction<S extends z.ZodType>(definition: ActionDefinition<S>): ActionDefinition<S> {
  return definition;
}
