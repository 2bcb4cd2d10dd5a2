import { describe, expect, it } from 'vitest';
import { MAX_ASSIGNED_ENTITIES, PartitionAssigner, readAssignment } from '../../../src/embedded/partition-assigner.js';
import { hashPartition } from '../../../src/embedded/replay-partition.js';

const podLine = (pod: string, padding = 0): string => JSON.stringify({ log: 'x'.repeat(padding), kubernetes: { pod_name: pod } });
const text = '[2026-11-02T08:00:00.000Z] "GET /x HTTP/1.1" 200 - via_upstream - "-" 0 10 1 1 "-" "ua" "r" "a:80" "10.0.0.2:80" inbound|80|| 127.0.0.6:1 10.0.0.2:80 10.0.0.3:2 - default';

/** Lines of one workload per name, `count` each, interleaved as time-ordered input would be. */
function interleaved(volumes: Readonly<Record<string, number>>): string[] {
  const lines: string[] = [];
  const max = Math.max(...Object.values(volumes));
  for (let i = 0; i < max; i++) for (const [workload, count] of Object.entries(volumes)) if (i < count) lines.push(podLine(`${workload}-7d9c8b6f5-x2k4p`));
  return lines;
}

function loads(split: readonly number[], lines: readonly string[], partitions: number): number[] {
  const out = new Array<number>(partitions).fill(0);
  split.forEach((p, i) => { out[p] = (out[p] ?? 0) + (lines[i]?.length ?? 0); });
  return out;
}

describe('the split of a replay over its partitions', () => {
  it('spreads workloads by volume, heaviest first, where a hash of their names would pile them up', () => {
    // The demo's mix: a hash puts the two busiest workloads on one partition (72/28 of the lines).
    const volumes = { frontend: 690, inference: 566, 'istio-ingressgateway': 436, 'feature-store': 294, auth: 37 };
    const lines = interleaved(volumes);
    const split = new PartitionAssigner(2).plan(lines);
    const [a = 0, b = 0] = loads(split, lines, 2);
    expect(Math.max(a, b) / (a + b)).toBeLessThan(0.55);
    const workloadOf = (line: string): string => (JSON.parse(line) as { kubernetes: { pod_name: string } }).kubernetes.pod_name.split('-')[0] ?? '';
    const hashed = loads(lines.map((l) => hashPartition(`workload:${workloadOf(l)}`, 2)), lines, 2);
    expect(Math.max(...hashed) / (a + b)).toBeGreaterThan(0.6);
  });

  it('keeps every line of an entity on one partition, before and after the plan', () => {
    const assigner = new PartitionAssigner(3);
    const lines = interleaved({ frontend: 50, inference: 40, auth: 10, 'feature-store': 30 });
    const split = assigner.plan(lines);
    const seen = new Map<string, number>();
    lines.forEach((line, i) => {
      const pod = (JSON.parse(line) as { kubernetes: { pod_name: string } }).kubernetes.pod_name;
      expect(seen.get(pod) ?? split[i]).toBe(split[i]);
      seen.set(pod, split[i] ?? -1);
      expect(assigner.partitionOf(line)).toBe(split[i]);
    });
  });

  it('counts TEXT lines (always partition 0) into partition 0\'s load', () => {
    const lines = [...Array.from({ length: 100 }, () => text), ...interleaved({ frontend: 50, inference: 50 })];
    const split = new PartitionAssigner(2).plan(lines);
    expect(split.slice(0, 100).every((p) => p === 0)).toBe(true);
    // Partition 0 already carries the TEXT lines: the heavier workload goes to partition 1.
    expect(split[100]).toBe(1);
  });

  it('places an entity first seen after the plan on the least loaded partition', () => {
    const assigner = new PartitionAssigner(2);
    assigner.plan(interleaved({ frontend: 100, auth: 10 }));
    expect(assigner.partitionOf(podLine('late-7d9c8b6f5-x2k4p'))).toBe(assigner.partitionOf(podLine('auth-0')));
  });

  it('is the same split for the same input', () => {
    const lines = interleaved({ b: 30, a: 30, c: 30, d: 5 });
    expect(new PartitionAssigner(3).plan(lines)).toEqual(new PartitionAssigner(3).plan(lines));
  });

  it('keeps a resumed replay\'s entities where their baselines are, and places only new ones', () => {
    const first = new PartitionAssigner(2);
    first.plan(interleaved({ frontend: 100, inference: 90, auth: 5 }));
    const saved = readAssignment(JSON.parse(JSON.stringify(first.snapshot())), 2);
    const resumed = new PartitionAssigner(2, saved);
    // Only auth's lines arrive now: a fresh plan would put the busiest on partition 0.
    expect(resumed.plan(interleaved({ auth: 100 }))[0]).toBe(first.partitionOf(podLine('auth-0')));
    expect(resumed.partitionOf(podLine('frontend-7d9c8b6f5-x2k4p'))).toBe(first.partitionOf(podLine('frontend-7d9c8b6f5-x2k4p')));
  });
});

describe('a split read back from a state file (anyone with the volume may have written it)', () => {
  it('is dropped whole when any entry is out of shape, so the replay plans afresh', () => {
    expect(readAssignment({ 'workload:a': 0, 'workload:b': 1 }, 2)).toEqual({ 'workload:a': 0, 'workload:b': 1 });
    expect(readAssignment({ 'workload:a': 2 }, 2)).toBeUndefined();
    expect(readAssignment({ 'workload:a': -1 }, 2)).toBeUndefined();
    expect(readAssignment({ 'workload:a': 0.5 }, 2)).toBeUndefined();
    expect(readAssignment({ 'workload:a': '0' }, 2)).toBeUndefined();
    expect(readAssignment({ ['x'.repeat(301)]: 0 }, 2)).toBeUndefined();
    expect(readAssignment([0, 1], 2)).toBeUndefined();
    expect(readAssignment('workload:a', 2)).toBeUndefined();
    expect(readAssignment(null, 2)).toBeUndefined();
    const tooMany = Object.fromEntries(Array.from({ length: MAX_ASSIGNED_ENTITIES + 1 }, (_, i) => [`model:m${i}`, 0]));
    expect(readAssignment(tooMany, 2)).toBeUndefined();
  });

  it('cannot pollute a prototype through a "__proto__" key', () => {
    const read = readAssignment(JSON.parse('{"__proto__": 1, "workload:a": 0}'), 2);
    expect(read).toBeDefined();
    expect(Object.keys(read ?? {})).toEqual(['__proto__', 'workload:a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    const assigner = new PartitionAssigner(2, read);
    expect(assigner.snapshot()).toEqual(read);
  });
});

describe('a flood of made-up entity names', () => {
  it('assigns at most a bounded number of entities and hashes the rest', () => {
    const assigner = new PartitionAssigner(4);
    const model = (i: number): string => JSON.stringify({ schema: 'model_telemetry.v1', model: { name: `m${i}`, version: 'v1' } });
    assigner.plan([model(0)]);
    for (let i = 1; i < MAX_ASSIGNED_ENTITIES * 3; i++) assigner.partitionOf(model(i));
    expect(Object.keys(assigner.snapshot()).length).toBe(MAX_ASSIGNED_ENTITIES);
    const spilled = MAX_ASSIGNED_ENTITIES * 2;
    expect(assigner.partitionOf(model(spilled))).toBe(hashPartition(`model:m${spilled}`, 4));
  });
});
