import { describe, expect, it } from 'vitest';
import { PartitionAssigner } from '../../../src/embedded/partition-assigner.js';
import { EntityKeyCache, replayEntityKey } from '../../../src/embedded/replay-partition.js';

/** The partition of one line, in a fresh replay of `n` partitions. */
const replayPartition = (line: string, n: number): number => new PartitionAssigner(n).partitionOf(line);

const text = (userAgent: string): string =>
  `[2026-11-02T08:00:00.000Z] "GET /x HTTP/1.1" 200 - via_upstream - "-" 0 10 1 1 "-" "${userAgent}" "r" "a:80" "10.0.0.2:80" inbound|80|| 127.0.0.6:1 10.0.0.2:80 10.0.0.3:2 - default`;

describe('the partition of a replayed line', () => {
  it('is the logging pod\'s workload, read from the shipper\'s metadata of each envelope', () => {
    expect(replayEntityKey(JSON.stringify({ log: 'x', kubernetes: { namespace_name: 'ml', pod_name: 'frontend-7d9c8b6f5-x2k4p' } }))).toBe('workload:frontend');
    expect(replayEntityKey('{"resourceLogs":[{"resource":{"attributes":[{"key":"k8s.pod.name","value":{"stringValue":"inference-qqmglhkdcx-mhphk"}}]}}]}')).toBe('workload:inference');
    expect(replayEntityKey(JSON.stringify({ output_fields: { 'k8s.pod.name': 'auth-0' } }))).toBe('workload:auth');
    expect(replayEntityKey(JSON.stringify({ schema: 'model_telemetry.v1', model: { name: 'fraud', version: 'v3' } }))).toBe('model:fraud');
  });

  it('keeps the pods of one workload together', () => {
    const line = (pod: string): string => JSON.stringify({ log: 'x', kubernetes: { pod_name: pod } });
    for (const n of [2, 3, 7]) {
      const assigner = new PartitionAssigner(n);
      const lines = ['frontend-7d9c8b6f5-x2k4p', 'auth-0', 'frontend-8e0d9c7a6-q1w2e', 'inference-qqmglhkdcx-mhphk'].map(line);
      const [a, , b] = assigner.plan(lines);
      expect(a).toBe(b);
      expect(assigner.partitionOf(line('frontend-9f1e0d8b7-z9y8x'))).toBe(a);
    }
  });

  it('cannot be chosen by text a client wrote: quotes are escaped in JSON, and a TEXT line goes to partition 0', () => {
    const forged = '"pod_name":"victim-7d9c8b6f5-x2k4p"';
    expect(replayEntityKey(text(forged))).toBeUndefined();
    expect(replayPartition(text(forged), 4)).toBe(0);
    // The user agent inside a JSON access log: its quotes are escaped, the marker is not found.
    expect(replayEntityKey(JSON.stringify({ user_agent: forged, authority: 'a' }))).toBeUndefined();
    // The shipper's own key comes first and wins over anything in the message it carries.
    expect(replayEntityKey(JSON.stringify({ kubernetes: { pod_name: 'frontend-7d9c8b6f5-x2k4p' }, log: forged }))).toBe('workload:frontend');
  });

  it('sends lines without a readable entity to partition 0, and one partition takes everything', () => {
    expect(replayPartition('{"authority":"a"}', 5)).toBe(0);
    expect(replayPartition(`{"pod_name":"${'a'.repeat(300)}"}`, 5)).toBe(0);
    expect(replayPartition(JSON.stringify({ kubernetes: { pod_name: 'frontend-7d9c8b6f5-x2k4p' } }), 1)).toBe(0);
  });
});

describe('the entity keys remembered by name', () => {
  it('gives the same key as reading it afresh, keeps pods and models apart, and stays bounded under a flood', () => {
    const cache = new EntityKeyCache();
    const pod = JSON.stringify({ kubernetes: { pod_name: 'frontend-7d9c8b6f5-x2k4p' } });
    const model = JSON.stringify({ schema: 'model_telemetry.v1', model: { name: 'frontend-7d9c8b6f5-x2k4p', version: 'v1' } });
    for (let i = 0; i < 3; i++) {
      expect(replayEntityKey(pod, cache)).toBe(replayEntityKey(pod));
      expect(replayEntityKey(model, cache)).toBe('model:frontend-7d9c8b6f5-x2k4p');
    }
    for (let i = 0; i < 20_000; i++) {
      const line = JSON.stringify({ kubernetes: { pod_name: `w${i}-7d9c8b6f5-x2k4p` } });
      expect(replayEntityKey(line, cache)).toBe(`workload:w${i}`);
    }
    expect((cache as unknown as { keys: Map<string, string> }).keys.size).toBeLessThanOrEqual(4_096);
  });
});
