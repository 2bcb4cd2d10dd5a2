import { describe, expect, it } from 'vitest';
import { MAX_TRACKED_SOURCES, SourceTally, type ServedHistory } from '../../../src/features/source-tally.js';

/** A history whose every answer is `answer()`. */
const history = (answer: () => boolean): ServedHistory => ({ observe: answer });
const never = history(() => false);
const always = history(() => true);
const TARGET = 'workload:ml-prod/auth';

describe('SourceTally', () => {
  it('tells sources refused every time from sources refused once and from new ones', () => {
    const tally = new SourceTally();
    tally.add('principal:a', true, never, TARGET, 1);
    tally.add('principal:a', false, never, TARGET, 2); // a mistyped password, then in
    tally.add('principal:b', true, always, TARGET, 3);
    tally.add('principal:b', true, always, TARGET, 4);
    tally.add('principal:c', false, always, TARGET, 5);
    expect(tally.features()).toEqual({ distinctFailingSources: 2, refusedSources: 1, newSources: 2, newFailingSources: 1 });
  });

  it('asks whether a source is new once per tracked source, naming the target, the source and the time', () => {
    const tally = new SourceTally();
    const asked: [string, string, number][] = [];
    const recording: ServedHistory = { observe: (target, source, at) => asked.push([target, source, at]) > 0 };
    for (let i = 0; i < 10; i++) tally.add('principal:a', true, recording, TARGET, 1_000 + i);
    expect(asked).toEqual([[TARGET, 'principal:a', 1_000]]);
    expect(tally.features().newSources).toBe(1);
  });

  it('holds 100,000 distinct failing sources in bounded memory and still estimates them', () => {
    const large = new SourceTally();
    for (let i = 0; i < 100_000; i++) large.add(`principal:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, true, never, TARGET, i);
    const sources = large.features();
    expect(Math.abs(sources.distinctFailingSources - 100_000) / 100_000).toBeLessThan(0.1);
    // Only the first MAX_TRACKED_SOURCES are tracked one by one (all refused every time) ...
    expect(sources.refusedSources).toBe(MAX_TRACKED_SOURCES);
    // ... the rest cost nothing beyond the fixed 1 KiB sketch: the map stops growing at its bound.
    expect(trackedSources(large)).toBe(MAX_TRACKED_SOURCES);
    // Sources past the bound are still asked whether they are new (the history bounds itself).
    let asked = 0;
    large.add('principal:192.0.2.1', true, history(() => ++asked > 0), TARGET, 100_000);
    expect(asked).toBe(1);
    expect(large.features().newSources).toBe(1);
    expect(trackedSources(large)).toBe(MAX_TRACKED_SOURCES);
  });
});

/** Entries held by the tally's tracked-source map. */
function trackedSources(tally: SourceTally): number {
  const sources = (tally as unknown as { sources: Map<string, number> }).sources;
  return sources.size;
}
