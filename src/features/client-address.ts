import { isIP } from 'node:net';
import { hostOf } from './ip-directory.js';

/** Longest client-claimed X-Forwarded-For head kept as evidence; longer claims are cut. */
export const MAX_CLAIM_LENGTH = 64;

/** The caller a gateway line stands for, and what the client claimed about itself. */
export interface ClientAddress {
  /** The trusted client address, validated and normalised; absent when there is none. */
  readonly address?: string;
  /**
   * The head of the X-Forwarded-For entries the client (not a trusted hop) wrote, cut and with
   * control characters replaced: evidence only, never a name.
   */
  readonly claimed?: string;
}

/**
 * The client address of a gateway access-log line under Envoy's `xff_num_trusted_hops` rule (with
 * `use_remote_address`): with 0 trusted hops it is the downstream remote address, the peer Envoy
 * itself accepted the connection from; with N it is the Nth X-Forwarded-For entry from the right
 * of the header as it arrived, and Envoy falls back to the peer when the header has fewer than N
 * entries. The logged header already carries the peer Envoy appended: that last entry is dropped
 * first so the count starts at what arrived. Whatever is left of the trusted entry was written by
 * the client and is only reported as its claim.
 */
export function trustedClientAddress(xForwardedFor: string | undefined, downstreamRemoteAddress: string | undefined, trustedHops: number): ClientAddress {
  const peer = normalizeIp(hostOf(downstreamRemoteAddress));
  // The common line, read without splitting: no header, or one naming only the peer Envoy appended.
  if (trustedHops === 0 && (xForwardedFor === undefined || (peer !== undefined && !xForwardedFor.includes(',') && xForwardedFor.trim() === peer))) {
    return peer === undefined ? {} : { address: peer };
  }
  const entries = xForwardedFor === undefined ? [] : forwardedEntries(xForwardedFor);
  const last = entries[entries.length - 1];
  if (peer !== undefined && last !== undefined && normalizeIp(last) === peer) entries.pop();
  let address = peer;
  let clientWritten = entries.length;
  if (trustedHops > 0 && entries.length >= trustedHops) {
    address = normalizeIp(entries[entries.length - trustedHops]);
    clientWritten = entries.length - trustedHops;
  }
  const head = clientWritten > 0 ? entries[0] : undefined;
  return { ...(address !== undefined ? { address } : {}), ...(head !== undefined ? { claimed: claimOf(head) } : {}) };
}

/**
 * A textual IP address in one spelling per address, or undefined when it is not one: an
 * IPv4-mapped IPv6 address becomes its IPv4 address, IPv6 is compressed and lower-case. A port or
 * brackets around it are dropped. Zone ids (`fe80::1%eth0`) are refused: they name no host.
 */
export function normalizeIp(value: string | undefined): string | undefined {
  const host = hostOf(value?.trim());
  if (host === undefined) return undefined;
  const family = isIP(host);
  if (family === 4) return host;
  if (family !== 6 || host.includes('%')) return undefined;
  let canonical: string;
  try {
    // The WHATWG URL parser prints IPv6 in its canonical (RFC 5952) form.
    canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped?.[1] !== undefined && mapped[2] !== undefined) {
    const hi = Number.parseInt(mapped[1], 16);
    const lo = Number.parseInt(mapped[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return canonical;
}

/** Non-empty, trimmed entries; a header is at most tens of kilobytes (Envoy's header limit). */
function forwardedEntries(xff: string): string[] {
  const entries: string[] = [];
  for (const part of xff.split(',')) {
    const entry = part.trim();
    if (entry !== '') entries.push(entry);
  }
  return entries;
}

/** A claim fit to be shown: bounded, printable, and a copy (not a slice pinning the whole line). */
function claimOf(entry: string): string {
  const cut = entry.length > MAX_CLAIM_LENGTH ? `${entry.slice(0, MAX_CLAIM_LENGTH)}...` : entry;
  return Buffer.from(cut.replace(/[^\x20-\x7e]/g, '?'), 'utf8').toString('utf8');
}
