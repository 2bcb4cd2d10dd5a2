import { copyString } from '../shared/copy-string.js';
import { RecencyMap } from './recency-map.js';

/** Who owns an address, learned from the mesh's own logs. */
export interface IpOwner {
  readonly namespace: string;
  readonly workload: string;
  readonly pod: string;
}

/**
 * Maps pod IPs to workloads, learned from lines whose Kubernetes metadata names the logging pod:
 * an inbound line's downstream local address and an outbound line's upstream local address are the
 * pod's own IP. This resolves the caller of an inbound request without joining both sides.
 * Bounded: the oldest entries go first when it is full, in O(1).
 */
export class IpDirectory {
  private readonly owners = new RecencyMap<string, IpOwner>();
  private changeCount = 0;

  constructor(private readonly capacity = 100_000) {}

  /**
   * Counts every change of the directory (an address added, moved to another owner or evicted):
   * while it stays the same, learning an address again for the owner that taught it is a no-op,
   * which lets a caller skip it for the lines a pod writes by the thousand.
   */
  get changes(): number {
    return this.changeCount;
  }

  /** Learns the host of `address` for `owner`; returns the host as the directory holds it, if it does. */
  learn(address: string | undefined, owner: IpOwner): string | undefined {
    const ip = hostOf(address);
    if (ip === undefined || ip.startsWith('127.')) return undefined;
    this.set(ip, owner);
    return this.owners.storedKey(ip);
  }

  /** Puts back an entry of `entries()` (saved oldest first), within the capacity. */
  set(ip: string, owner: IpOwner): void {
    const known = this.owners.get(ip);
    if (known?.pod === owner.pod && known.namespace === owner.namespace) return;
    this.changeCount++;
    if (known === undefined && this.owners.size >= this.capacity) this.owners.shift();
    // A moved address becomes the newest. A new one is kept as a copy: cut out of a log line, it
    // would keep the whole line alive.
    this.owners.set(known === undefined ? copyString(ip) : ip, owner);
  }

  lookup(address: string | undefined): IpOwner | undefined {
    const ip = hostOf(address);
    return ip === undefined ? undefined : this.owners.get(ip);
  }

  /** Addresses and their owners, oldest first. */
  entries(): Iterable<[string, IpOwner]> {
    return this.owners.entries();
  }

  get size(): number {
    return this.owners.size;
  }
}

/** `10.0.0.1:8080` -> `10.0.0.1`; `[::1]:80` -> `::1`. */
export function hostOf(address: string | undefined): string | undefined {
  if (address === undefined || address === '' || address === '-') return undefined;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    return end > 0 ? address.slice(1, end) : undefined;
  }
  const colon = address.lastIndexOf(':');
  return colon > 0 && address.indexOf(':') === colon ? address.slice(0, colon) : address;
}
