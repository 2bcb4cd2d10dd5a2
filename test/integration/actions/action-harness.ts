import { randomBytes } from 'node:crypto';
import type { ActionContext, ActionDeps, ActionResult } from '../../../src/actions/action-context.js';
import type { ActionDefinition } from '../../../src/actions/action-definition.js';
import { findAction } from '../../../src/actions/action-registry.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { systemClock } from '../../../src/shared/clock.js';
import { ActionError } from '../../../src/shared/errors.js';
import { silentLogger } from '../../../src/shared/logger.js';

/** A fresh idempotency key, shaped like the engine's `<playbook>/<incident>/<step>`. */
export function newIdempotencyKey(): string {
  return `integration/${randomBytes(6).toString('hex')}/0`;
}

/** The context a playbook step would hand an action, with the given clients. */
export function actionContext(
  deps: Pick<ActionDeps, 'kube' | 'vault'>,
  options: { readonly idempotencyKey?: string; readonly windowEnd?: number; readonly timeoutMs?: number } = {},
): ActionContext {
  const windowEnd = options.windowEnd ?? Date.now();
  const anomaly: Anomaly = {
    id: randomBytes(8).toString('hex'),
    detector: 'integration-test',
    severity: 'high',
    entity: { key: 'pod:test/test', kind: 'pod', namespace: 'test', name: 'test' },
    score: 0.99,
    windowStart: windowEnd - 60_000,
    windowEnd,
    evidence: [],
  };
  return {
    deps: { ...deps, clock: systemClock, logger: silentLogger() },
    idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
    playbook: 'integration',
    incidentId: anomaly.id,
    anomaly,
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  };
}

/** The registry's definition of `id`, with the live `execute` every action here must have. */
/** The registered definitions of `ids`, in order; fails on an unknown id. */
export function actionsById(...ids: string[]): ActionDefinition[] {
  return ids.map((id) => {
    const action = findAction(id);
    if (!action) throw new Error(`no action ${id}`);
    return action;
  });
}

export function liveAction(id: string): ActionDefinition & Required<Pick<ActionDefinition, 'execute'>> {
  const action = findAction(id);
  if (action?.execute === undefined) throw new Error(`${id} is not a live action`);
  const execute = action.execute.bind(action);
  return { ...action, execute };
}

/** Parses `params` with the action's own schema (defaults applied) and runs it. */
export async function run(id: string, params: unknown, ctx: ActionContext): Promise<ActionResult> {
  const action = liveAction(id);
  return action.execute(action.params.parse(params), ctx);
}

/** Runs the action and returns the `ActionError` it throws; fails if it does not throw one. */
export async function runExpectingFailure(id: string, params: unknown, ctx: ActionContext): Promise<ActionError> {
  try {
    await run(id, params, ctx);
  } catch (error) {
    if (error instanceof ActionError) return error;
    throw error;
  }
  throw new Error(`${id} succeeded where it should have failed`);
}

/** Wall-clock milliseconds since `start`, rounded. */
export function elapsed(start: number): number {
  return Math.round(performance.now() - start);
}

/** Prints one measured timing in a greppable form (`timing: <action> <what> <ms> ms`). */
export function reportTiming(action: string, what: string, ms: number): void {
  console.info(`timing: ${action} ${what} ${ms} ms`);
}
