/** Seals a verified click for the replica that holds its approval, and opens the seal there. */
import { createHmac } from 'node:crypto';
import type { Secret } from '../shared/secret.js';
import { tokensEqual } from './binding-token.js';

/** A forwarded click: the payload, when it was sealed, and an HMAC over both with a derived key. */
interface ForwardedEnvelope {
  readonly payload: unknown;
  readonly sealedAt: number;
  readonly mac: string;
}

function forwardMac(secret: Secret, payloadJson: string, sealedAt: number): string {
  // A key of its own, derived from the binding secret: a forwarded envelope can never pass for a
  // button token or the other way round.
  const key = createHmac('sha256', secret.reveal()).update('meshwarden forwarded interaction v1').digest();
  return createHmac('sha256', key).update(`${sealedAt}\n${payloadJson}`).digest('hex');
}

/** Seals a verified click's payload at `now` for forwarding. */
export function sealForwarded(payload: unknown, secret: Secret, now: number): string {
  const payloadJson = JSON.stringify(payload);
  return JSON.stringify({ payload, sealedAt: now, mac: forwardMac(secret, payloadJson, now) } satisfies ForwardedEnvelope);
}

/** The payload of a sealed click, or why it is refused (the detail is safe to log). */
export function openForwarded(sealed: string, secret: Secret, now: number, windowMs: number): { ok: true; payload: unknown } | { ok: false; detail: string } {
  let envelope: Partial<ForwardedEnvelope>;
  try {
    envelope = JSON.parse(sealed) as Partial<ForwardedEnvelope>;
  } catch {
    return { ok: false, detail: 'a forwarded interaction that is not JSON' };
  }
  if (typeof envelope.sealedAt !== 'number' || typeof envelope.mac !== 'string' || envelope.payload === undefined) {
    return { ok: false, detail: 'a forwarded interaction without payload, time or seal' };
  }
  const expected = forwardMac(secret, JSON.stringify(envelope.payload), envelope.sealedAt);
  if (!tokensEqual(envelope.mac, expected)) return { ok: false, detail: 'a forwarded interaction whose seal does not verify' };
  if (Math.abs(now - envelope.sealedAt) > windowMs) return { ok: false, detail: `a forwarded interaction sealed at ${new Date(envelope.sealedAt).toISOString()}, outside the window` };
  return { ok: true, payload: envelope.payload };
}
