import { describe, expect, it } from 'vitest';
import { annotationText, labelValue } from '../../../src/outputs/label-value.js';
import { kubeEventFor } from '../../../src/outputs/kube-event.js';
import type { StepResult } from '../../../src/playbook/run-store.js';

describe('label values from names an attacker influences', () => {
  it('removes control, bidirectional and line-separator characters and keeps the rest of the text', () => {
    expect(labelValue('evil"\n,severity="info"\u202e\u0000\u2028x')).toBe('evil"_,severity="info"___x');
    expect(annotationText('line one\nline\u001b[31m two')).toBe('line one\nline_[31m two');
  });

  it('cuts on a code point boundary and never sends an empty value', () => {
    const long = `${'a'.repeat(127)}😀😀`;
    expect(Array.from(labelValue(long)).length).toBe(128);
    expect(labelValue(long).endsWith('…')).toBe(true);
    expect(labelValue('\u0000\u0001')).toBe('__');
    expect(labelValue('   ')).toBe('-');
    // A megabyte name costs a bounded amount of work and gives a bounded label.
    expect(labelValue('x'.repeat(1_000_000)).length).toBe(128);
  });
});

describe('the Kubernetes Event of a step', () => {
  const base: StepResult = {
    index: 0, step: 'isolate', action: 'kubernetes.quarantine-pod', target: 'Pod ml-prod/p-1', targetRef: { kind: 'Pod', namespace: 'ml-prod', name: 'p-1' },
    outcome: 'succeeded', description: 'quarantined', at: 1_796_000_000_000,
  };
  const origin = { runId: 'r1', playbook: 'pb', incidentId: 'i1' };

  it('names the step so a repeat makes the same Event, and gives failures a Warning', () => {
    const event = kubeEventFor(base, origin, 'meshwarden-0');
    expect(event).toMatchObject({ reason: 'Quarantined', action: 'QuarantinePod', type: 'Normal', regarding: { apiVersion: 'v1', kind: 'Pod', namespace: 'ml-prod', name: 'p-1' } });
    expect(kubeEventFor(base, origin, 'meshwarden-1')?.metadata.name).toBe(event?.metadata.name);
    expect(kubeEventFor({ ...base, outcome: 'failed' }, origin, 'x')).toMatchObject({ reason: 'ActionFailed', type: 'Warning' });
    expect(kubeEventFor({ ...base, outcome: 'failed' }, origin, 'x')?.metadata.name).not.toBe(event?.metadata.name);
  });

  it('gives none to skipped or already-done steps, other providers, or targets without a namespace', () => {
    expect(kubeEventFor({ ...base, outcome: 'skipped' }, origin, 'x')).toBeUndefined();
    expect(kubeEventFor({ ...base, outcome: 'already-done' }, origin, 'x')).toBeUndefined();
    expect(kubeEventFor({ ...base, action: 'vault.rotate-secret' }, origin, 'x')).toBeUndefined();
    const { targetRef: _ref, ...withoutRef } = base;
    expect(kubeEventFor(withoutRef, origin, 'x')).toBeUndefined();
  });

  it('caps the note at what the API server takes', () => {
    const event = kubeEventFor({ ...base, description: 'd'.repeat(5_000) }, origin, 'x');
    expect(Array.from(event?.note ?? '').length).toBe(1_000);
  });
});
