import type { V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  abortRolloutPatch,
  jsonPointerToken,
  replicaSetsOwnedBy,
  ROLLOUT_HASH_LABEL,
  ROLLOUT_REVISION_ANNOTATION,
  rolloutSchema,
  selectRolloutRevision,
  undoRolloutPatch,
} from '../../../../src/actions/kubernetes/argo-rollouts.js';
import { kubeObject } from '../../../../src/actions/kubernetes/kube-object.js';

function rs(name: string, revision: string | undefined, image: string, owner = 'ro-uid'): V1ReplicaSet {
  return kubeObject<V1ReplicaSet>({
    metadata: {
      name,
      ...(revision === undefined ? {} : { annotations: { [ROLLOUT_REVISION_ANNOTATION]: revision } }),
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'fraud', uid: owner, controller: true }],
    },
    spec: { selector: {}, template: { metadata: { labels: { app: 'fraud', [ROLLOUT_HASH_LABEL]: name } }, spec: { containers: [{ name: 'm', image }] } } },
  });
}

describe('selectRolloutRevision (kubectl argo rollouts undo)', () => {
  it('picks the second-highest revision and reports the highest as the one left', () => {
    const choice = selectRolloutRevision([rs('a', '3', 'v3'), rs('b', '1', 'v1'), rs('c', '2', 'v2')], 0, 'fraud');
    expect(choice).toMatchObject({ found: true, revision: 2, latest: 3 });
  });

  it('counts a ReplicaSet without the annotation as revision 0 and leaves out one whose annotation is not a number', () => {
    expect(selectRolloutRevision([rs('a', undefined, 'v0'), rs('b', '1', 'v1')], 0, 'fraud')).toMatchObject({ found: true, revision: 0 });
    expect(selectRolloutRevision([rs('a', 'two', 'v2'), rs('b', '1', 'v1')], 0, 'fraud')).toEqual({ found: false, message: 'no revision found for rollout "fraud"' });
  });

  it('answers kubectl\'s messages when there is no previous or no such revision', () => {
    expect(selectRolloutRevision([rs('a', '1', 'v1')], 0, 'fraud')).toEqual({ found: false, message: 'no revision found for rollout "fraud"' });
    expect(selectRolloutRevision([rs('a', '1', 'v1'), rs('b', '2', 'v2')], 7, 'fraud')).toEqual({ found: false, message: 'unable to find specified revision 7 in history' });
    expect(selectRolloutRevision([rs('a', '1', 'v1'), rs('b', '2', 'v2')], 1, 'fraud')).toMatchObject({ found: true, revision: 1, latest: 2 });
  });

  it('keeps only the ReplicaSets the Rollout controls', () => {
    expect(replicaSetsOwnedBy('ro-uid', [rs('a', '1', 'v1'), rs('b', '2', 'v2', 'someone-else')]).map((r) => r.metadata?.name)).toEqual(['a']);
  });
});

describe('undoRolloutPatch', () => {
  it('tests the UID, puts back the resourceVersion read and replaces the template without the rollouts hash label', () => {
    const template = rs('abc', '1', 'registry.local/fraud:v1').spec?.template;
    const patch = undoRolloutPatch({ uid: 'u-1', resourceVersion: '42', annotations: { 'a/b~c': 'x' } }, template, { 'meshwarden.io/rollback-idempotency-key': 'k' });
    expect(patch).toEqual([
      { op: 'test', path: '/metadata/uid', value: 'u-1' },
      { op: 'replace', path: '/metadata/resourceVersion', value: '42' },
      { op: 'replace', path: '/spec/template', value: { metadata: { labels: { app: 'fraud' } }, spec: { containers: [{ name: 'm', image: 'registry.local/fraud:v1' }] } } },
      { op: 'add', path: '/metadata/annotations/meshwarden.io~1rollback-idempotency-key', value: 'k' },
    ]);
  });

  it('adds the whole annotation map when the object has none', () => {
    const patch = undoRolloutPatch({ uid: 'u-1', resourceVersion: '42' }, undefined, { k: 'v' });
    expect(patch.at(-1)).toEqual({ op: 'add', path: '/metadata/annotations', value: { k: 'v' } });
  });

  it('escapes JSON pointer tokens as RFC 6901 says', () => {
    expect(jsonPointerToken('a~b/c')).toBe('a~0b~1c');
  });
});

describe('abortRolloutPatch', () => {
  it('is kubectl\'s {"status":{"abort":true}} with the UID and resourceVersion read as preconditions', () => {
    const rollout = rolloutSchema.parse({ metadata: { name: 'fraud', uid: 'u-1', resourceVersion: '7' }, spec: {}, status: {} });
    expect(abortRolloutPatch(rollout)).toEqual({ metadata: { uid: 'u-1', resourceVersion: '7' }, status: { abort: true } });
  });
});
