import type { Entity } from './entity.js';
import type { TrackedEntity } from './entity-table.js';
import { EntityWindows } from './entity-windows.js';

/**
 * A tracked entity: its open windows (it is their EntityWindows, one object rather than two), when
 * it was seen, and its links in the entity table's recency order.
 */
export class EntityState extends EntityWindows implements TrackedEntity {
  older: TrackedEntity | undefined = undefined;
  newer: TrackedEntity | undefined = undefined;

  constructor(
    public entity: Entity,
    public lastSeen: number,
    public movedAt: number,
    /** Start of the first window it was tracked in: until that closes, no detector has seen it. */
    readonly since: number,
  ) {
    super();
  }
}
