import { describe, expect, it } from 'vitest';
import { SourceHistory } from '../../../src/features/source-history.js';

const HOUR = 3_600_000;

describe('SourceHistory', () => {
  it('learns a target\'s sources first, then reports the ones it never saw', () => {
    const history = new SourceHistory({ maxSourcesPerTarget: 100, maxTargets: 10, learningMs: HOUR });
    expect(history.observe('workload:ns/auth', 'principal:a', 0)).toBe(false);
    expect(history.observe('workload:ns/auth', 'principal:b', HOUR - 1)).toBe(false);
    expect(history.observe('workload:ns/auth', 'principal:a', HOUR)).toBe(false);
    expect(history.observe('workload:ns/auth', 'principal:c', HOUR)).toBe(true);
    expect(history.observe('workload:ns/auth', 'principal:c', HOUR + 1)).toBe(false);
    // Sources are per target.
    expect(history.observe('workload:ns/other', 'principal:a', 2 * HOUR)).toBe(false);
  });

  it('stays bounded under 100,000 distinct sources per target, forgetting the least recently seen first', () => {
    const history = new SourceHistory({ maxSourcesPerTarget: 1024, maxTargets: 4, learningMs: 0 });
    history.observe('workload:ns/auth', 'principal:regular', 0);
    let fresh = 0;
    for (let i = 0; i < 100_000; i++) {
      if (history.observe('workload:ns/auth', `principal:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i)) fresh++;
      // A regular caller seen all along stays known.
      if (i % 500 === 0) expect(history.observe('workload:ns/auth', 'principal:regular', i)).toBe(false);
    }
    expect(fresh).toBe(100_000);
    expect(history.knownSources('workload:ns/auth')).toBe(1024);
    for (let t = 0; t < 10; t++) history.observe(`workload:ns/t${t}`, 'principal:a', 0);
    expect(history.size).toBe(4);
  });
});
