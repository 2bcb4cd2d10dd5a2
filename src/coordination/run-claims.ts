/**
 * Claims make a live playbook run take effect once across replicas.
 *
 * Each replica owns some Kafka partitions and detects on them alone, so one entity can open an
 * incident on two replicas at once: a model's telemetry and its drift reports travel on different
 * topics. Both replicas then start a run of the same playbook on the same entity, with different
 * incident ids and therefore different idempotency keys; without a shared arbiter both would act
 * (two rollbacks of one model put the bad version back).
 *
 * Before a live run starts, its replica claims `<playbook>|<entity>` for the playbook's cooldown.
 * The claim store decides atomically (the Kubernetes implementation relies on the API server's
 * create-if-absent and compare-and-swap on resourceVersion), so of all runs contending for one key
 * exactly one wins while the claim holds. The winner's run id is the holder: the same run replayed
 * later (after a crash or a rebalance, on any replica) finds itself the holder and carries on,
 * where its step idempotency keys stop a completed step from acting twice.
 */

/** The outcome of a claim: won, or held by another run (named). */
export interface ClaimResult {
  readonly won: boolean;
  /** The run holding the claim (the caller's own when won). */
  readonly holder: string;
  /** When the claim lapses (epoch ms). */
  readonly until: number;
  /** Where the claim lives, for the audit trail (e.g. `Lease meshwarden/meshwarden-claim-…`). */
  readonly where: string;
}

/** Cluster-wide mutual exclusion of runs on one playbook and entity. */
export interface RunClaims {
  /**
   * Claims `key` for `holder` until `holdMs` from now. Wins when nobody holds it, when its last
   * holder's time ran out, or when `holder` already holds it (a replayed run). Throws when the
   * store cannot be reached: the caller must not act without an answer.
   */
  claim(key: string, holder: string, holdMs: number): Promise<ClaimResult>;
  /** Gives up every claim `holder` holds (a released pod frees its budget slots); returns how many. */
  releaseHeldBy(holder: string): Promise<number>;
  /**
   * Gives up every claim that `which` picks from its holder and the time it was taken (epoch ms),
   * lapsed or not; returns how many. A claim taken over or renewed in between is left alone.
   */
  releaseWhere(which: (holder: string, since: number) => boolean): Promise<number>;
  /** Deletes claims that lapsed; returns how many. */
  sweep(): Promise<number>;
}

/**
 * The claim key of a run: the playbook and the entity it acts on, as the engine's cooldowns use.
 * The entity is what triggered the run, which a client can rename; what a step touches is claimed
 * separately, per action and target, by ClusterRails (`cooldown|<action>|<target>`).
 */
export function claimKey(playbook: string, entityKey: string): string {
  return `${playbook}|${entityKey}`;
}

/** Claims in one process (the embedded mode, unit tests): the same rules as the cluster store. */
export class MemoryRunClaims implements RunClaims {
  private readonly claims = new Map<string, { holder: string; since: number; until: number }>();

  constructor(private readonly clock: { now(): number }) {}

  claim(key: string, holder: string, holdMs: number): Promise<ClaimResult> {
    const now = this.clock.now();
    const current = this.claims.get(key);
    if (current && current.until > now) {
      return Promise.resolve({ won: current.holder === holder, holder: current.holder, until: current.until, where: 'memory' });
    }
    const until = now + holdMs;
    this.claims.set(key, { holder, since: now, until });
    return Promise.resolve({ won: true, holder, until, where: 'memory' });
  }

  releaseHeldBy(holder: string): Promise<number> {
    return this.releaseWhere((h) => h === holder);
  }

  releaseWhere(which: (holder: string, since: number) => boolean): Promise<number> {
    let released = 0;
    for (const [key, claim] of this.claims) {
      if (which(claim.holder, claim.since)) {
        this.claims.delete(key);
        released++;
      }
    }
    return Promise.resolve(released);
  }

  sweep(): Promise<number> {
    const now = this.clock.now();
    let removed = 0;
    for (const [key, claim] of this.claims) {
      if (claim.until <= now) {
        this.claims.delete(key);
        removed++;
      }
    }
    return Promise.resolve(removed);
  }
}
