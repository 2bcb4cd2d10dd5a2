import type { ActionDefinition, ActionTarget } from '../actions/action-definition.js';

/** When one action last acted on one target, and how long its playbook leaves the target alone. */
export interface TargetCooldown {
  readonly at: number;
  readonly until: number;
  readonly playbook: string;
  readonly run: string;
}

/** Who asks: the run, its playbook and the playbook's cooldown. */
export interface CooldownRequester {
  readonly id: string;
  readonly playbook: string;
  readonly cooldownMs: number;
}

/** The cooldown key of an action on a target: the action and what it touches, whichever entity triggered it. */
export function targetCooldownKey(action: ActionDefinition, target: ActionTarget): string {
  return `${action.id}|${target.kind}/${target.namespace ?? ''}/${target.name}`;
}

/**
 * Cooldowns keyed on what an action touches. The playbook engine's cooldown is keyed on the
 * triggering entity, which a client can rename at will (a spoofed address per request): every new
 * name is a new incident and, without this, a new rotation of the same secret or restart of the
 * same Deployment. Here, once an action has acted on a target, the same action on that target is
 * refused until the acting playbook's cooldown has passed, whatever entity or playbook asks. The
 * run that acted may ask again (a crashed run resuming its step).
 */
export class TargetCooldowns {
  private readonly entries: Map<string, TargetCooldown>;

  constructor(snapshot?: Readonly<Record<string, TargetCooldown>>) {
    this.entries = new Map(Object.entries(snapshot ?? {}));
  }

  /** The refusal reason when the target is cooling down for this action, else undefined. */
  check(action: ActionDefinition, target: ActionTarget, requester: CooldownRequester, now: number): string | undefined {
    const entry = this.holder(action, target, requester, now);
    if (entry === undefined) return undefined;
    return `cooldown: ${describeTarget(target)} was ${pastTense(action)} by ${entry.playbook} at ${new Date(entry.at).toISOString()}; ` +
      `the same action may not touch it again before ${new Date(entry.until).toISOString()}`;
  }

  /** The other run whose step on this target is still cooling down, if any: it already took the step. */
  holder(action: ActionDefinition, target: ActionTarget, requester: CooldownRequester, now: number): TargetCooldown | undefined {
    const entry = this.entries.get(targetCooldownKey(action, target));
    if (entry === undefined || entry.run === requester.id || now >= entry.until) return undefined;
    return entry;
  }

  /** Books an action on a target (dry-run steps too, so a replay refuses as live would). */
  record(action: ActionDefinition, target: ActionTarget, requester: CooldownRequester, now: number): void {
    // Expired entries go first, so the table holds only targets still cooling down.
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
    this.entries.set(targetCooldownKey(action, target), { at: now, until: now + requester.cooldownMs, playbook: requester.playbook, run: requester.id });
  }

  snapshot(): Record<string, TargetCooldown> {
    return Object.fromEntries(this.entries);
  }
}

const NOUNS: Readonly<Record<string, string>> = {
  Pod: 'pod', Deployment: 'deployment', VaultSecret: 'secret', VaultLeasePrefix: 'lease prefix', VaultStaticRole: 'static role',
};

const PAST: Readonly<Record<string, string>> = {
  quarantine: 'quarantined', release: 'released', delete: 'deleted', scale: 'scaled', restart: 'restarted',
  rollback: 'rolled back', rotate: 'rotated', revoke: 'revoked',
};

/** `secret secret/ml-prod/auth/session`, `deployment ml-prod/auth`. */
export function describeTarget(target: ActionTarget): string {
  return `${NOUNS[target.kind] ?? target.kind} ${target.namespace !== undefined ? `${target.namespace}/` : ''}${target.name}`;
}

/** `rotated` for vault.rotate-secret: action ids read `<provider>.<verb>-<object>`. */
function pastTense(action: ActionDefinition): string {
  const verb = /^[a-z]+\.([a-z]+)/.exec(action.id)?.[1] ?? '';
  return PAST[verb] ?? `acted on with ${action.id}`;
}
