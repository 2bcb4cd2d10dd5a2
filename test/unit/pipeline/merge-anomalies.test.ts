import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { mergeSameWindow } from '../../../src/pipeline/merge-anomalies.js';

function anomaly(id: string, score: number, feature: string, detector = 'egress-spike'): Anomaly {
  return {
    id, detector, severity: 'high', score, windowStart: 0, windowEnd: 60_000,
    entity: { key: 'pod:ml-prod/inference-7d9c8b6f5-x2k4p', kind: 'pod', namespace: 'ml-prod', name: 'inference-7d9c8b6f5-x2k4p' },
    evidence: [{ feature, observed: 10, expected: 1, spread: 1, score }],
  };
}

describe('verdicts on one window of one entity from several partitions', () => {
  it('become one anomaly with the highest score and every partition\'s evidence, highest first', () => {
    const merged = mergeSameWindow([anomaly('a', 0.6, 'bytes_out'), anomaly('b', 0.7, 'requests', 'latency-storm'), anomaly('a', 0.9, 'new_edges')]);
    expect(merged.map((m) => m.id)).toEqual(['a', 'b']);
    expect(merged[0]?.score).toBe(0.9);
    expect(merged[0]?.evidence.map((e) => e.feature)).toEqual(['new_edges', 'bytes_out']);
  });

  it('leaves anomalies with ids of their own as they are', () => {
    const input = [anomaly('a', 0.6, 'x'), anomaly('b', 0.7, 'y')];
    expect(mergeSameWindow(input)).toEqual(input);
  });
});
