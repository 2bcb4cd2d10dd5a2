import { describe, expect, it } from 'vitest';
import { EntityTable, type TrackedEntity } from '../../../src/features/entity-table.js';

function tracked(key: string, at: number): TrackedEntity {
  return { entity: { key, kind: key.startsWith('principal:') ? 'principal' : 'pod', name: key }, lastSeen: at, movedAt: at };
}

describe('EntityTable', () => {
  it('evicts the least recently moved entity when full', () => {
    const table = new EntityTable<TrackedEntity>(2, 1000);
    const a = tracked('pod:a', 0);
    table.add(a);
    table.add(tracked('pod:b', 1));
    table.touch(a, 2000);
    expect(table.add(tracked('pod:c', 2001))?.entity.key).toBe('pod:b');
    expect([...table].map(([key]) => key)).toEqual(['pod:a', 'pod:c']);
  });

  it('does not reorder on a touch within the move interval', () => {
    const table = new EntityTable<TrackedEntity>(2, 1000);
    const a = tracked('pod:a', 0);
    table.add(a);
    table.add(tracked('pod:b', 1));
    table.touch(a, 500);
    expect(a.lastSeen).toBe(500);
    expect(table.add(tracked('pod:c', 600))?.entity.key).toBe('pod:a');
  });

  it('evicts principals before workloads and pods', () => {
    const table = new EntityTable<TrackedEntity>(2, 1000);
    table.add(tracked('pod:a', 0));
    table.add(tracked('principal:203.0.113.1', 1));
    expect(table.add(tracked('principal:203.0.113.2', 2))?.entity.key).toBe('principal:203.0.113.1');
    expect(table.has('pod:a')).toBe(true);
    expect(table.size).toBe(2);
  });
});
