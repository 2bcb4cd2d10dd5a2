import { describe, expect, it } from 'vitest';
import type { RetrainOutcome } from '../../../src/detect/autoencoder/autoencoder-detector.js';
import type { FeatureWindow } from '../../../src/features/feature-window.js';
import { MAX_GROUPS_WHILE_TRAINING, MAX_WINDOWS_WHILE_TRAINING, RetrainingGate, type Retrainable } from '../../../src/embedded/retraining-gate.js';
import type { ClosedGroup } from '../../../src/pipeline/closed-group.js';

const MINUTE = 60_000;

function group(minute: number, deferred = 0): ClosedGroup {
  const windows = Array.from({ length: deferred }, () => ({}) as FeatureWindow);
  return { windowStart: minute * MINUTE, windowEnd: (minute + 1) * MINUTE, windows: deferred, anomalies: [], tally: [], deferred: windows };
}

/** A model that falls due after the groups listed, and trains until the test lets it finish. */
class FakeModel implements Retrainable {
  version = 0;
  due = false;
  private finishTraining: (() => void) | undefined;

  get retrainDue(): boolean {
    return this.due;
  }

  maybeRetrain(): Promise<RetrainOutcome> {
    this.due = false;
    return new Promise((resolve) => {
      this.finishTraining = () => {
        this.version++;
        resolve({ status: 'not-due' });
      };
    });
  }

  get training(): boolean {
    return this.finishTraining !== undefined;
  }

  finish(): void {
    const finish = this.finishTraining;
    this.finishTraining = undefined;
    finish?.();
  }
}

/** A gate whose response records, per group, the model version it was scored with. */
function gateWith(model: FakeModel, dueAfter: ReadonlySet<number>): { gate: RetrainingGate; seen: [number, number][] } {
  const seen: [number, number][] = [];
  const gate = new RetrainingGate(() => [model], (g) => {
    const minute = g.windowStart / MINUTE;
    seen.push([minute, model.version]);
    if (dueAfter.has(minute)) model.due = true;
  });
  return { gate, seen };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RetrainingGate', () => {
  it('holds the groups after a retraining falls due and hands them on, in order, scored by the new model', async () => {
    const model = new FakeModel();
    const { gate, seen } = gateWith(model, new Set([1]));
    for (let minute = 0; minute < 5; minute++) await gate.handOn(group(minute));
    // Minute 1 brought a retraining due: minutes 2-4 wait for it, and the replay was not held up.
    expect(model.training).toBe(true);
    expect(seen).toEqual([[0, 0], [1, 0]]);
    model.finish();
    await settled();
    await gate.handOn(group(5));
    expect(seen).toEqual([[0, 0], [1, 0], [2, 1], [3, 1], [4, 1], [5, 1]]);
  });

  it('waits for the retraining once it holds as many groups as it may', async () => {
    const model = new FakeModel();
    const { gate, seen } = gateWith(model, new Set([0]));
    await gate.handOn(group(0));
    for (let minute = 1; minute < MAX_GROUPS_WHILE_TRAINING; minute++) await gate.handOn(group(minute));
    let returned = false;
    const full = gate.handOn(group(MAX_GROUPS_WHILE_TRAINING)).then(() => { returned = true; });
    await settled();
    expect(returned).toBe(false);
    model.finish();
    await full;
    expect(seen).toHaveLength(MAX_GROUPS_WHILE_TRAINING + 1);
    expect(seen.slice(1).every(([, version]) => version === 1)).toBe(true);
  });

  it('bounds the windows it holds as well as the groups', async () => {
    const model = new FakeModel();
    const { gate } = gateWith(model, new Set([0]));
    await gate.handOn(group(0));
    let returned = false;
    const full = gate.handOn(group(1, MAX_WINDOWS_WHILE_TRAINING)).then(() => { returned = true; });
    await settled();
    expect(returned).toBe(false);
    model.finish();
    await full;
  });

  it('settles a retraining that a held group brings due, and hands every group on', async () => {
    const model = new FakeModel();
    const { gate, seen } = gateWith(model, new Set([0, 2]));
    for (let minute = 0; minute < 5; minute++) await gate.handOn(group(minute));
    const settling = gate.settle();
    model.finish();
    await settled();
    // Minute 2 (held) brought the second retraining due: 3 and 4 wait for that one.
    expect(seen).toEqual([[0, 0], [1, 1], [2, 1]]);
    model.finish();
    await settling;
    expect(seen).toEqual([[0, 0], [1, 1], [2, 1], [3, 2], [4, 2]]);
  });
});
