import { describe, expect, it } from 'vitest';
import { normalizeIp, trustedClientAddress } from '../../../src/features/client-address.js';

describe('trustedClientAddress', () => {
  it('takes the downstream peer with no trusted hops, whatever the client wrote', () => {
    expect(trustedClientAddress('203.0.113.50, 198.51.100.9', '198.51.100.9:41000', 0)).toEqual({ address: '198.51.100.9', claimed: '203.0.113.50' });
  });

  it('claims nothing when the header holds only the peer Envoy appended', () => {
    expect(trustedClientAddress('198.51.100.9', '198.51.100.9:41000', 0)).toEqual({ address: '198.51.100.9' });
  });

  it('takes the Nth entry from the right of the header as it arrived with N trusted hops', () => {
    // Client wrote 1.1.1.1, the load balancer appended the client 203.0.113.7, Envoy appended the LB 10.0.0.5.
    expect(trustedClientAddress('1.1.1.1, 203.0.113.7, 10.0.0.5', '10.0.0.5:5000', 1)).toEqual({ address: '203.0.113.7', claimed: '1.1.1.1' });
    expect(trustedClientAddress('1.1.1.1, 192.0.2.1, 203.0.113.7, 10.0.0.5', '10.0.0.5:5000', 2)).toEqual({ address: '192.0.2.1', claimed: '1.1.1.1' });
  });

  it('falls back to the peer when the header has fewer entries than trusted hops', () => {
    expect(trustedClientAddress('10.0.0.5', '10.0.0.5:5000', 2)).toEqual({ address: '10.0.0.5' });
    expect(trustedClientAddress(undefined, '10.0.0.5:5000', 1)).toEqual({ address: '10.0.0.5' });
  });

  it('names nobody when the trusted entry or the peer is not an address', () => {
    expect(trustedClientAddress('evil.example, 10.0.0.5', '10.0.0.5:5000', 1).address).toBeUndefined();
    expect(trustedClientAddress('203.0.113.50', undefined, 0).address).toBeUndefined();
  });

  it('keeps a claim short and printable', () => {
    const claimed = trustedClientAddress(`${'x'.repeat(500)}\u001b[2J\n, 198.51.100.9`, '198.51.100.9:1', 0).claimed ?? '';
    expect(claimed.length).toBeLessThanOrEqual(67);
    expect(claimed).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('normalizeIp', () => {
  it('spells each address one way', () => {
    expect(normalizeIp('::FFFF:203.0.113.7')).toBe('203.0.113.7');
    expect(normalizeIp('[::ffff:cb00:7107]:443')).toBe('203.0.113.7');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp(' 10.0.0.1:8080 ')).toBe('10.0.0.1');
  });

  it('refuses what is not an address', () => {
    for (const bad of ['users/victim', '10.0.0.256', '01.2.3.4', 'fe80::1%eth0', '', '-', 'a b']) expect(normalizeIp(bad)).toBeUndefined();
  });
});
