/** The links an item of a {@link RecencyList} carries itself (declare them up front in a class). */
export interface RecencyLinks<T> {
  older?: T | undefined;
  newer?: T | undefined;
}

/**
 * Items in recency order (oldest first), linked through fields of their own: the oldest is found,
 * removed and an item moved to the newest end in O(1), like `RecencyMap`, without a node object
 * per item. For tables of hundreds of thousands of entities, where that node (and its Map entry)
 * was a tenth of an entity's memory. The caller keeps its own index (a Map) beside it and must
 * not put an item in two lists, or twice in one.
 */
export class RecencyList<T extends RecencyLinks<T>> implements Iterable<T> {
  private oldestItem: T | undefined;
  private newestItem: T | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get oldest(): T | undefined {
    return this.oldestItem;
  }

  /** Adds an item that is in no list at the newest end. */
  append(item: T): void {
    item.older = this.newestItem;
    item.newer = undefined;
    if (this.newestItem === undefined) this.oldestItem = item;
    else this.newestItem.newer = item;
    this.newestItem = item;
    this.count++;
  }

  /** Removes an item of this list. */
  remove(item: T): void {
    if (item.older === undefined) this.oldestItem = item.newer;
    else item.older.newer = item.newer;
    if (item.newer === undefined) this.newestItem = item.older;
    else item.newer.older = item.older;
    item.older = undefined;
    item.newer = undefined;
    this.count--;
  }

  /** Moves an item of this list to the newest end. */
  touch(item: T): void {
    if (item === this.newestItem) return;
    this.remove(item);
    this.append(item);
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    const item = this.oldestItem;
    if (item !== undefined) this.remove(item);
    return item;
  }

  /** Items oldest first; removing the item just returned while iterating is safe. */
  *[Symbol.iterator](): Iterator<T> {
    let item = this.oldestItem;
    while (item !== undefined) {
      const next = item.newer;
      yield item;
      item = next;
    }
  }
}
