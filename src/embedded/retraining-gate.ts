import type { AutoencoderDetector } from '../detect/autoencoder/autoencoder-detector.js';
import type { ClosedGroup } from '../pipeline/closed-group.js';

/** Groups held while a retraining runs, at most; past it, the replay waits for the retraining. */
export const MAX_GROUPS_WHILE_TRAINING = 256;
/** Windows for the autoencoders in the held groups, at most (what holding them costs in memory). */
export const MAX_WINDOWS_WHILE_TRAINING = 32_768;

/**
 * Where a replay's window groups meet its autoencoders' retraining. A replay retrains where a
 * retraining falls due and scores every later group with the new model, so the same input gives
 * the same models and the same report. A service does not wait; a replay need not stop either:
 * groups closed while the model trains are held here (bounded) and handed on, in order, once it
 * is installed, while the partitions' detection goes on reading the input.
 */
/** What the gate needs of an autoencoder. */
export type Retrainable = Pick<AutoencoderDetector, 'retrainDue' | 'maybeRetrain'>;

export class RetrainingGate {
  private training: Promise<void> | undefined;
  private trained = false;
  private readonly held: ClosedGroup[] = [];
  private heldWindows = 0;

  constructor(
    private readonly autoencoders: () => Iterable<Retrainable>,
    /** Scores a group with the current models and hands it to the response. */
    private readonly respond: (group: ClosedGroup) => void,
  ) {}

  /** Hands `group` on now, or holds it until the retraining running ends. */
  async handOn(group: ClosedGroup): Promise<void> {
    if (this.training !== undefined && this.trained) await this.settle();
    if (this.training === undefined) {
      this.respondAndRetrain(group);
      return;
    }
    this.held.push(group);
    this.heldWindows += group.deferred.length;
    if (this.held.length >= MAX_GROUPS_WHILE_TRAINING || this.heldWindows >= MAX_WINDOWS_WHILE_TRAINING) await this.settle();
  }

  /** Waits for the retraining running (and any the held groups bring due) and hands every held group on. */
  async settle(): Promise<void> {
    while (this.training !== undefined) {
      const training = this.training;
      await training;
      this.training = undefined;
      this.trained = false;
      for (let group = this.held.shift(); group !== undefined; group = this.held.shift()) {
        this.heldWindows -= group.deferred.length;
        if (this.respondAndRetrain(group)) break;
      }
    }
  }

  /** Hands `group` on; true when a retraining fell due after it (and now runs). */
  private respondAndRetrain(group: ClosedGroup): boolean {
    this.respond(group);
    // Retraining falls due between two window starts, in the same place however the work was spread.
    const due: Promise<unknown>[] = [];
    for (const model of this.autoencoders()) if (model.retrainDue) due.push(model.maybeRetrain());
    if (due.length === 0) return false;
    // A retraining reports its failure in its outcome (the current model stays); it never rejects.
    this.training = Promise.all(due).then(() => { this.trained = true; });
    return true;
  }
}
