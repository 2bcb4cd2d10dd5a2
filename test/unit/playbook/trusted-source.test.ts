import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../src/features/entity.js';
import { CLIENT_CLAIMED_SOURCE, networkOf, trustedSource } from '../../../src/playbook/trusted-source.js';

const principal = (name: string, identity?: Entity['identity']): Entity => ({ key: `principal:${name}`, kind: 'principal', name, ...(identity ? { identity } : {}) });

describe('trustedSource', () => {
  it('counts pods, workloads and models by their own key', () => {
    expect(trustedSource({ key: 'pod:ml-prod/a-1', kind: 'pod', name: 'a-1' })).toBe('pod:ml-prod/a-1');
    expect(trustedSource({ key: 'model:ml-prod/m@v1', kind: 'model', name: 'm' })).toBe('model:ml-prod/m@v1');
  });

  it('counts a verified mesh identity by itself and a peer address by its network', () => {
    expect(trustedSource(principal('ml-prod/frontend', 'mesh'))).toBe('principal:ml-prod/frontend');
    expect(trustedSource(principal('203.0.113.7', 'ip'))).toBe('203.0.113.0/24');
    expect(trustedSource(principal('2001:db8::5', 'ip'))).toBe('2001:db8:0:0::/64');
    expect(trustedSource(principal('10.8.3.17', 'unresolved'))).toBe('10.8.3.0/24');
  });

  it('puts every principal without an established identity in one bucket', () => {
    expect(trustedSource(principal('203.0.113.7'))).toBe(CLIENT_CLAIMED_SOURCE);
    expect(trustedSource(principal('victim', 'unresolved'))).toBe(CLIENT_CLAIMED_SOURCE);
    expect(trustedSource(principal('victim'))).toBe(CLIENT_CLAIMED_SOURCE);
    expect(trustedSource(principal('not-an-address', 'ip'))).toBe(CLIENT_CLAIMED_SOURCE);
  });
});

describe('networkOf', () => {
  it.each([
    ['198.51.100.23', '198.51.100.0/24'],
    ['2001:db8:0:7::1f', '2001:db8:0:7::/64'],
    ['2001:0db8:0000:0007:0000:0000:0000:0001', '2001:db8:0:7::/64'],
    ['::ffff:203.0.113.7', '203.0.113.0/24'],
    ['::ffff:cb00:7107', '0:0:0:0::/64'],
    ['fe80::1', 'fe80:0:0:0::/64'],
  ])('%s is in %s', (address, network) => {
    expect(networkOf(address)).toBe(network);
  });

  it('is undefined for anything that is not an address', () => {
    expect(networkOf('victim/../x')).toBeUndefined();
    expect(networkOf('203.0.113.7:443')).toBeUndefined();
  });
});
