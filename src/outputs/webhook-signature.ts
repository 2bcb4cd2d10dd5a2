import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../shared/secret.js';

/** The header with the signature: `sha256=<hex>`. */
export const SIGNATURE_HEADER = 'X-Meshwarden-Signature';
/** The header with the signing time, Unix seconds. */
export const TIMESTAMP_HEADER = 'X-Meshwarden-Timestamp';

/**
 * The signature of one delivery: HMAC-SHA256 under the shared secret over
 * `<timestamp>.<body>`, as `sha256=<hex>`. The timestamp is inside what is signed, so a receiver
 * that refuses old timestamps refuses replays (see docs/outputs.md).
 */
export function webhookSignature(secret: Secret, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret.reveal()).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver checks: the signature matches, and the timestamp is within `toleranceSeconds` of `now` (seconds). */
export function verifyWebhookSignature(
  secret: Secret,
  headers: { readonly signature: string | undefined; readonly timestamp: string | undefined },
  body: string,
  now: number,
  toleranceSeconds = 300,
): { readonly ok: true } | { readonly ok: false; readonly why: 'missing' | 'stale' | 'mismatch' } {
  if (headers.signature === undefined || headers.timestamp === undefined || !/^\d{1,12}$/.test(headers.timestamp)) return { ok: false, why: 'missing' };
  const timestamp = Number(headers.timestamp);
  if (Math.abs(now - timestamp) > toleranceSeconds) return { ok: false, why: 'stale' };
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? { ok: true } : { ok: false, why: 'mismatch' };
}
