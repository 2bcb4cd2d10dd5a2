import { describe, expect, it } from 'vitest';
import { IpDirectory } from '../../../src/features/ip-directory.js';

describe('IpDirectory', () => {
  it('gives an address to its latest owner, also when only the namespace differs (same pod name reused elsewhere)', () => {
    const ips = new IpDirectory();
    ips.learn('10.42.0.7:8080', { namespace: 'ml-staging', workload: 'inference', pod: 'inference-0' });
    ips.learn('10.42.0.7:8080', { namespace: 'ml-prod', workload: 'inference', pod: 'inference-0' });
    expect(ips.lookup('10.42.0.7:51000')).toEqual({ namespace: 'ml-prod', workload: 'inference', pod: 'inference-0' });
    expect(ips.size).toBe(1);
  });

  it('drops the oldest address when full, never loopback addresses', () => {
    const ips = new IpDirectory(2);
    ips.learn('127.0.0.6:15001', { namespace: 'a', workload: 'w', pod: 'p0' });
    ips.learn('10.0.0.1:80', { namespace: 'a', workload: 'w', pod: 'p1' });
    ips.learn('10.0.0.2:80', { namespace: 'a', workload: 'w', pod: 'p2' });
    ips.learn('10.0.0.3:80', { namespace: 'a', workload: 'w', pod: 'p3' });
    expect([...ips.entries()].map(([ip]) => ip)).toEqual(['10.0.0.2', '10.0.0.3']);
  });
});
