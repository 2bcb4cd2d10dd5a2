import { describe, expect, it } from 'vitest';
import {
  generateSecretValue,
  metadataMarker,
  ROTATION_METADATA,
  rotationMetadata,
  rotationState,
  withoutRotationRecord,
} from '../../../../src/actions/vault/kv-rotation.js';

const KEY = 'rotate-credentials-on-stuffing/8d04c9bf8c5ab1c2/1';

describe('rotationState', () => {
  it('is fresh without a record of this step', () => {
    expect(rotationState(null, 4, KEY)).toEqual({ kind: 'fresh' });
    expect(rotationState({ [ROTATION_METADATA.idempotencyKey]: 'other/step/0', [ROTATION_METADATA.fromVersion]: '3' }, 4, KEY)).toEqual({ kind: 'fresh' });
  });

  it('is done when the written version is recorded', () => {
    const record = { [ROTATION_METADATA.idempotencyKey]: KEY, [ROTATION_METADATA.fromVersion]: '3', [ROTATION_METADATA.version]: '4' };
    expect(rotationState(record, 6, KEY)).toEqual({ kind: 'done', version: 4, fromVersion: 3 });
  });

  it('takes a newer current version as the write of a step that crashed before recording it', () => {
    const intent = { [ROTATION_METADATA.idempotencyKey]: KEY, [ROTATION_METADATA.fromVersion]: '3' };
    expect(rotationState(intent, 4, KEY)).toEqual({ kind: 'done', version: 4, fromVersion: 3 });
  });

  it('resumes at the recorded version when the write never landed', () => {
    const intent = { [ROTATION_METADATA.idempotencyKey]: KEY, [ROTATION_METADATA.fromVersion]: '3' };
    expect(rotationState(intent, 3, KEY)).toEqual({ kind: 'resume', fromVersion: 3 });
  });

  it('treats an unreadable record as no record', () => {
    expect(rotationState({ [ROTATION_METADATA.idempotencyKey]: KEY, [ROTATION_METADATA.fromVersion]: 'x' }, 3, KEY)).toEqual({ kind: 'fresh' });
  });
});

describe('rotationMetadata and withoutRotationRecord', () => {
  it('carries the secret’s other custom metadata over and replaces an earlier record', () => {
    const existing = { owner: 'ml-platform', [ROTATION_METADATA.idempotencyKey]: 'old', [ROTATION_METADATA.version]: '2' };
    expect(rotationMetadata(existing, { marker: KEY, fromVersion: 3 })).toEqual({
      owner: 'ml-platform',
      [ROTATION_METADATA.idempotencyKey]: KEY,
      [ROTATION_METADATA.fromVersion]: '3',
    });
    expect(rotationMetadata(null, { marker: KEY, fromVersion: 3, version: 4, rotatedAt: '2026-11-03T09:06:00.000Z' })).toEqual({
      [ROTATION_METADATA.idempotencyKey]: KEY,
      [ROTATION_METADATA.fromVersion]: '3',
      [ROTATION_METADATA.version]: '4',
      [ROTATION_METADATA.rotatedAt]: '2026-11-03T09:06:00.000Z',
    });
    expect(withoutRotationRecord(existing)).toEqual({ owner: 'ml-platform' });
  });
});

describe('metadataMarker', () => {
  it('stores short keys as they are and hashes keys beyond Vault’s 512-byte value limit', () => {
    expect(metadataMarker(KEY)).toBe(KEY);
    const long = metadataMarker('k'.repeat(600));
    expect(long).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(metadataMarker('k'.repeat(600))).toBe(long);
  });
});

describe('generateSecretValue', () => {
  it('draws each character from the 62-character alphanumeric alphabet', () => {
    const draws: number[] = [];
    const value = generateSecretValue(4, (max) => {
      draws.push(max);
      return [0, 25, 26, 61][draws.length - 1] ?? 0;
    });
    expect(value).toBe('AZa9');
    expect(draws).toEqual([62, 62, 62, 62]);
  });

  it('gives values of the requested length that differ between calls', () => {
    const a = generateSecretValue(40);
    expect(a).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(generateSecretValue(40)).not.toBe(a);
  });
});
