import { describe, expect, it } from 'vitest';
import { OwnerSlots } from '../../../src/detect/owner-slots.js';

describe('OwnerSlots', () => {
  it('gives each owner its own slots, the same ones each time', () => {
    const slots = new OwnerSlots<string>(3);
    const a = slots.of('pod:ns/a');
    expect(a).toEqual([undefined, undefined, undefined]);
    a[1] = 'scorer';
    expect(slots.of('pod:ns/a')).toBe(a);
    expect(slots.of('pod:ns/b')).toEqual([undefined, undefined, undefined]);
  });

  it('forgets an owner as the flat `<detector>|<owner>|<feature>` map does: by the text before its first |', () => {
    const slots = new OwnerSlots<string>(1);
    for (const owner of ['pod:ns/a', 'pod:ns/a|b', 'pod:ns/ab', 'pod:ns/b']) (slots.of(owner)[0] = owner);
    slots.forget(new Set(['pod:ns/a']));
    // What the flat map would still hold after deleting every key whose second field is gone.
    const flat = ['pod:ns/a', 'pod:ns/a|b', 'pod:ns/ab', 'pod:ns/b'].filter((owner) => !new Set(['pod:ns/a']).has(`d|${owner}|f`.split('|')[1] ?? ''));
    expect(flat).toEqual(['pod:ns/ab', 'pod:ns/b']);
    for (const owner of ['pod:ns/a', 'pod:ns/a|b']) expect(slots.of(owner)).toEqual([undefined]);
    for (const owner of flat) expect(slots.of(owner)).toEqual([owner]);
  });
});
