import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../../src/app.js';
import { inThreadEngine } from '../../../src/service/partition-engine.js';
import type { BatchMessage } from '../../../src/workers/message-batch.js';

describe('inThreadEngine.feed', () => {
  it('waits for a spill that sends before it takes the next message, and goes on at once when there is nothing to send', async () => {
    let deadLetters = 0;
    const pipeline = new Pipeline([], [], DEFAULT_PIPELINE_OPTIONS, {
      deadLetters: { add: () => { deadLetters++; } },
      ledger: { append: () => undefined, flush: () => Promise.resolve() },
    });
    const engine = inThreadEngine(pipeline);
    const messages: BatchMessage[] = [0, 1, 2, 3].map((position) => ({ value: `not a log line ${position}`, position }));
    let release: (() => void) | undefined;
    let spills = 0;
    // The outbox fills after the second message: that spill sends, the others have nothing to send.
    const spill = (): Promise<void> | undefined => (++spills === 2 ? new Promise<void>((resolve) => { release = resolve; }) : undefined);
    let fed = false;
    const feeding = engine.feed(messages, 'mesh/0', spill).then(() => { fed = true; });
    await new Promise(setImmediate);
    expect(deadLetters).toBe(2);
    expect(fed).toBe(false);
    release?.();
    await feeding;
    expect(deadLetters).toBe(4);
    expect(spills).toBe(4);
  });
});
