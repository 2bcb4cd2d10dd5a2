import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../shared/secret.js';
import { isUsableSecret } from './usable-secret.js';

/** HTTP headers as Node and most frameworks give them: any case, possibly repeated. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Slack's replay window: requests signed longer ago than this are refused. */
export const SLACK_SIGNATURE_TOLERANCE_MS = 5 * 60_000;

/** Inputs of {@link verifySlackSignature}. */
export interface SignatureCheckInput {
  readonly signingSecret: Secret;
  readonly headers: HeaderBag;
  /** The body exactly as received, before any parsing: the signature covers these bytes. */
  readonly rawBody: string | Uint8Array;
  /** Now, from the injected clock. */
  readonly nowMs: number;
  readonly toleranceMs?: number;
}

/** The verdict; the failure detail is safe to log (it never echoes the secret or the signature). */
export type SignatureCheck =
  | { readonly ok: true; readonly timestampMs: number }
  | { readonly ok: false; readonly reason: 'unsigned' | 'bad-signature' | 'stale'; readonly detail: string };

/**
 * Verifies a request the way Slack documents it ("Verifying requests from Slack"): the basestring
 * `v0:<X-Slack-Request-Timestamp>:<raw body>` is signed with HMAC-SHA256 under the app's signing
 * secret and sent hex-encoded as `X-Slack-Signature: v0=<hex>`. The timestamp must lie within
 * five minutes of now, in either direction (a clock far ahead is as suspect as one far behind), and
 * the signatures are compared in constant time. An empty or whitespace-only signing secret verifies
 * nothing.
 */
export function verifySlackSignature(input: SignatureCheckInput): SignatureCheck {
  // A blank key is one every sender knows: nothing signed with it proves anything.
  if (!isUsableSecret(input.signingSecret)) {
    return { ok: false, reason: 'unsigned', detail: 'the configured signing secret is empty or only whitespace, so no request can be verified' };
  }
  const signature = header(input.headers, 'x-slack-signature');
  const timestamp = header(input.headers, 'x-slack-request-timestamp');
  if (signature === undefined || timestamp === undefined) {
    return { ok: false, reason: 'unsigned', detail: 'missing X-Slack-Signature or X-Slack-Request-Timestamp' };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-signature', detail: 'X-Slack-Request-Timestamp is not a Unix time in seconds' };
  const timestampMs = Number(timestamp) * 1000;
  const tolerance = input.toleranceMs ?? SLACK_SIGNATURE_TOLERANCE_MS;
  if (Math.abs(input.nowMs - timestampMs) > tolerance) {
    return { ok: false, reason: 'stale', detail: `signed at ${new Date(timestampMs).toISOString()}, outside the ${tolerance / 1000}s window` };
  }
  const match = /^v0=([0-9a-f]{64})$/.exec(signature);
  if (match?.[1] === undefined) return { ok: false, reason: 'bad-signature', detail: 'X-Slack-Signature is not of the form v0=<64 hex digits>' };
  const received = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', input.signingSecret.reveal())
    .update(`v0:${timestamp}:`)
    .update(typeof input.rawBody === 'string' ? Buffer.from(input.rawBody, 'utf8') : input.rawBody)
    .digest();
  if (!timingSafeEqual(received, expected)) return { ok: false, reason: 'bad-signature', detail: 'signature does not match the body and timestamp' };
  return { ok: true, timestampMs };
}

/** One header, any case; a repeated header is treated as absent rather than guessed at. */
function header(headers: HeaderBag, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value.trim();
    if (value !== undefined && value.length === 1) return value[0]?.trim();
    return undefined;
  }
  return undefined;
}
