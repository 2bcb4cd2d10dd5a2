import { createHash, randomInt } from 'node:crypto';

/**
 * Custom metadata keys a rotation records on the secret (KV v2 metadata endpoint), so that a
 * retry of the same step finds the rotation done instead of rotating twice.
 */
export const ROTATION_METADATA = {
  idempotencyKey: 'meshwarden-idempotency-key',
  /** The version the rotation read and carried over: the check-and-set value of its write. */
  fromVersion: 'meshwarden-rotated-from-version',
  /** The version the rotation wrote; recorded once the write landed. */
  version: 'meshwarden-rotated-version',
  rotatedAt: 'meshwarden-rotated-at',
} as const;

/** Vault caps custom metadata values at 512 bytes. */
const MAX_METADATA_VALUE = 512;

/** The idempotency key as stored in custom metadata: itself, or its SHA-256 when too long. */
export function metadataMarker(idempotencyKey: string): string {
  return Buffer.byteLength(idempotencyKey) <= MAX_METADATA_VALUE
    ? idempotencyKey
    : `sha256:${createHash('sha256').update(idempotencyKey).digest('hex')}`;
}

/** Where a rotation stands, as the secret's metadata tells it. */
export type RotationState =
  /** No record of this step: read the current version and rotate. */
  | { readonly kind: 'fresh' }
  /** This step recorded its intent but its write did not land (a crash in between): write now. */
  | { readonly kind: 'resume'; readonly fromVersion: number }
  /** This step's new version exists. */
  | { readonly kind: 'done'; readonly version: number; readonly fromVersion: number };

/**
 * Reads the rotation record from the secret's custom metadata. A recorded written version settles
 * it; without one (a crash after the write), a current version beyond the recorded starting
 * version is taken as this step's write.
 */
export function rotationState(
  customMetadata: Readonly<Record<string, string>> | null | undefined,
  currentVersion: number,
  marker: string,
): RotationState {
  if (customMetadata?.[ROTATION_METADATA.idempotencyKey] !== marker) return { kind: 'fresh' };
  const fromVersion = integer(customMetadata[ROTATION_METADATA.fromVersion]);
  if (fromVersion === undefined) return { kind: 'fresh' };
  const written = integer(customMetadata[ROTATION_METADATA.version]);
  if (written !== undefined) return { kind: 'done', version: written, fromVersion };
  if (currentVersion > fromVersion) return { kind: 'done', version: currentVersion, fromVersion };
  return { kind: 'resume', fromVersion };
}

/**
 * The custom metadata to write: what the secret had, with this step's record replacing any earlier
 * one. POST on the metadata endpoint replaces custom metadata whole, so the rest is carried over.
 */
export function rotationMetadata(
  existing: Readonly<Record<string, string>> | null | undefined,
  record: { readonly marker: string; readonly fromVersion: number; readonly version?: number; readonly rotatedAt?: string },
): Record<string, string> {
  const ours = new Set<string>(Object.values(ROTATION_METADATA));
  const kept = Object.fromEntries(Object.entries(existing ?? {}).filter(([key]) => !ours.has(key)));
  return {
    ...kept,
    [ROTATION_METADATA.idempotencyKey]: record.marker,
    [ROTATION_METADATA.fromVersion]: String(record.fromVersion),
    ...(record.version === undefined ? {} : { [ROTATION_METADATA.version]: String(record.version) }),
    ...(record.rotatedAt === undefined ? {} : { [ROTATION_METADATA.rotatedAt]: record.rotatedAt }),
  };
}

/** Custom metadata without this action's record (to take back an intent whose write failed). */
export function withoutRotationRecord(existing: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  const ours = new Set<string>(Object.values(ROTATION_METADATA));
  return Object.fromEntries(Object.entries(existing ?? {}).filter(([key]) => !ours.has(key)));
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A fresh secret value: `length` characters drawn uniformly from [A-Za-z0-9] by the CSPRNG
 * (`crypto.randomInt` rejects biased draws), about 5.95 bits each: 40 characters give 238 bits.
 * Alphanumeric so it survives environment variables, URLs and connection strings unescaped.
 */
export function generateSecretValue(length: number, draw: (max: number) => number = randomInt): string {
  let value = '';
  for (let i = 0; i < length; i++) value += ALPHABET.charAt(draw(ALPHABET.length));
  return value;
}

function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}
