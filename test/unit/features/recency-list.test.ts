import { describe, expect, it } from 'vitest';
import { RecencyList, type RecencyLinks } from '../../../src/features/recency-list.js';

class Item implements RecencyLinks<Item> {
  older: Item | undefined = undefined;
  newer: Item | undefined = undefined;
  constructor(readonly name: string) {}
}

const names = (list: RecencyList<Item>): string[] => [...list].map((item) => item.name);

describe('RecencyList', () => {
  it('keeps items oldest first and hands out the oldest', () => {
    const list = new RecencyList<Item>();
    const [a, b, c] = [new Item('a'), new Item('b'), new Item('c')];
    list.append(a);
    list.append(b);
    list.append(c);
    expect(names(list)).toEqual(['a', 'b', 'c']);
    expect(list.shift()).toBe(a);
    expect(list.oldest).toBe(b);
    expect(list.size).toBe(2);
    expect(a.older).toBeUndefined();
    expect(a.newer).toBeUndefined();
  });

  it('moves a touched item to the newest end and removes one from the middle', () => {
    const list = new RecencyList<Item>();
    const [a, b, c] = [new Item('a'), new Item('b'), new Item('c')];
    for (const item of [a, b, c]) list.append(item);
    list.touch(a);
    expect(names(list)).toEqual(['b', 'c', 'a']);
    list.remove(c);
    expect(names(list)).toEqual(['b', 'a']);
    list.touch(a);
    expect(names(list)).toEqual(['b', 'a']);
    list.remove(b);
    list.remove(a);
    expect(list.size).toBe(0);
    expect(list.oldest).toBeUndefined();
    expect(list.shift()).toBeUndefined();
  });

  it('lets the item just returned be removed while iterating', () => {
    const list = new RecencyList<Item>();
    const items = ['a', 'b', 'c', 'd'].map((n) => new Item(n));
    for (const item of items) list.append(item);
    const seen: string[] = [];
    for (const item of list) {
      seen.push(item.name);
      if (item.name !== 'c') list.remove(item);
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(names(list)).toEqual(['c']);
  });
});
