import { isIP } from 'node:net';
import type { Entity } from '../features/entity.js';

/**
 * The bucket every principal whose name a client may have chosen falls into (no identity the
 * engine established, such as a name taken from the head of `X-Forwarded-For`). However many such
 * names an attacker invents, together they are one source.
 */
export const CLIENT_CLAIMED_SOURCE = 'principal:client-claimed';

/**
 * The source an entity stands for when the breaker counts how widespread a detector's verdicts
 * are. Pods, workloads and models come from the Kubernetes API and the mesh, so each is its own
 * source. A principal counts by what Envoy established: a mesh workload by itself, a peer address
 * (`ip` at a gateway, `unresolved` inside the mesh: both measured by Envoy, not written by the
 * client) by its network (IPv4 /24, IPv6 /64, since one host easily holds many addresses of one
 * such network), and a name with no established identity by the one client-claimed bucket.
 */
export function trustedSource(entity: Entity): string {
  if (entity.kind !== 'principal') return entity.key;
  if (entity.identity === 'mesh') return entity.key;
  if (entity.identity === 'ip' || entity.identity === 'unresolved') return networkOf(entity.name) ?? CLIENT_CLAIMED_SOURCE;
  return CLIENT_CLAIMED_SOURCE;
}

/** `203.0.113.0/24` for `203.0.113.7`, `2001:db8:0:1::/64` for `2001:db8:0:1::5`; undefined when not an address. */
export function networkOf(address: string): string | undefined {
  // An IPv4 client seen on a dual-stack listener (`::ffff:203.0.113.7`) is the IPv4 client.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return networkOf(mapped);
  const version = isIP(address);
  if (version === 4) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (version !== 6) return undefined;
  const groups = expandIpv6(address.toLowerCase());
  return groups === undefined ? undefined : `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

function expandIpv6(address: string): string[] | undefined {
  // An embedded IPv4 tail (`::ffff:203.0.113.7`) fills the last two groups.
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4 !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
    text = `${text.slice(0, -v4.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...left, ...Array<string>(missing).fill('0'), ...right];
}
