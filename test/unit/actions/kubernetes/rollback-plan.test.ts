import { describe, expect, it } from 'vitest';
import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import {
  currentRevision,
  ownedReplicaSets,
  rollbackAnnotations,
  rollbackPatch,
  selectRollbackRevision,
  templatesEqualIgnoringHash,
} from '../../../../src/actions/kubernetes/rollback-plan.js';
import { kubeObject } from '../../../env/kube-object.js';

const DEPLOYMENT_UID = 'dep-uid';

function template(image: string, hash?: string): V1PodTemplateSpec {
  return kubeObject<V1PodTemplateSpec>({
    metadata: { labels: { app: 'fraud', ...(hash === undefined ? {} : { 'pod-template-hash': hash }) } },
    spec: { containers: [{ name: 'predictor', image }] },
  });
}

function replicaSet(revision: string | undefined, image: string, options: { owner?: string; annotations?: Record<string, string> } = {}): V1ReplicaSet {
  return kubeObject<V1ReplicaSet>({
    metadata: {
      name: `fraud-${revision ?? 'x'}`,
      annotations: { ...(revision === undefined ? {} : { 'deployment.kubernetes.io/revision': revision }), ...options.annotations },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'fraud', uid: options.owner ?? DEPLOYMENT_UID, controller: true }],
    },
    spec: { selector: { matchLabels: { app: 'fraud' } }, template: template(image, `h${revision ?? 'x'}`) },
  });
}

function deployment(annotations: Record<string, string>, image = 'fraud:3'): V1Deployment {
  return kubeObject<V1Deployment>({
    metadata: { name: 'fraud', uid: DEPLOYMENT_UID, annotations },
    spec: { selector: { matchLabels: { app: 'fraud' } }, template: template(image) },
  });
}

describe('selectRollbackRevision', () => {
  const history = [replicaSet('3', 'fraud:3'), replicaSet('1', 'fraud:1'), replicaSet('10', 'fraud:10'), replicaSet('2', 'fraud:2')];

  it('picks the second-highest revision, whatever the listing order (numeric, not lexical)', () => {
    const choice = selectRollbackRevision(history, 0, 'fraud');
    expect(choice.found && choice.revision).toBe(3);
  });

  it('picks exactly the requested revision', () => {
    const choice = selectRollbackRevision(history, 2, 'fraud');
    expect(choice.found && choice.replicaSet.spec?.template?.spec?.containers[0]?.image).toBe('fraud:2');
  });

  it('explains, in kubectl words, a missing revision and a history of one', () => {
    expect(selectRollbackRevision(history, 7, 'fraud')).toEqual({ found: false, message: 'unable to find specified revision 7 in history' });
    expect(selectRollbackRevision([replicaSet('1', 'fraud:1')], 0, 'fraud')).toEqual({
      found: false,
      message: 'no rollout history found for deployment "fraud"',
    });
  });

  it('ignores ReplicaSets without a readable revision', () => {
    const choice = selectRollbackRevision([replicaSet('2', 'fraud:2'), replicaSet(undefined, 'fraud:?'), replicaSet('abc', 'fraud:abc'), replicaSet('1', 'fraud:1')], 0, 'fraud');
    expect(choice.found && choice.revision).toBe(1);
  });
});

describe('ownedReplicaSets', () => {
  it('keeps only the ReplicaSets the Deployment controls', () => {
    const mine = replicaSet('1', 'fraud:1');
    expect(ownedReplicaSets(deployment({}), [mine, replicaSet('2', 'fraud:2', { owner: 'other-uid' })])).toEqual([mine]);
  });
});

describe('templatesEqualIgnoringHash', () => {
  it('ignores the pod-template-hash label and the difference between absent and empty', () => {
    const withEmpty = template('fraud:2', 'abc');
    if (withEmpty.metadata !== undefined) withEmpty.metadata.annotations = {};
    expect(templatesEqualIgnoringHash(withEmpty, template('fraud:2'))).toBe(true);
  });

  it('sees a different image', () => {
    expect(templatesEqualIgnoringHash(template('fraud:2', 'abc'), template('fraud:3'))).toBe(false);
  });
});

describe('rollbackPatch', () => {
  it('replaces the template (without its hash label) and the annotations, in one JSON patch, as kubectl does', () => {
    const current = deployment({
      'deployment.kubernetes.io/revision': '3',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'team.example/owner': 'ml',
    });
    const target = replicaSet('2', 'fraud:2', {
      annotations: { 'deployment.kubernetes.io/desired-replicas': '2', 'deployment.kubernetes.io/revision-history': '1', 'team.example/owner': 'ml-old' },
    });

    const patch = rollbackPatch(current, target, rollbackAnnotations('pb/inc/1', 3));

    expect(patch).toEqual([
      { op: 'replace', path: '/spec/template', value: { metadata: { labels: { app: 'fraud' } }, spec: { containers: [{ name: 'predictor', image: 'fraud:2' }] } } },
      {
        op: 'replace',
        path: '/metadata/annotations',
        value: {
          'deployment.kubernetes.io/revision': '3',
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
          'team.example/owner': 'ml-old',
          'meshwarden.io/rollback-idempotency-key': 'pb/inc/1',
          'meshwarden.io/rolled-back-from-revision': '3',
        },
      },
    ]);
  });
});

describe('currentRevision', () => {
  it('reads the Deployment annotation, else the highest ReplicaSet revision', () => {
    expect(currentRevision(deployment({ 'deployment.kubernetes.io/revision': '5' }), [])).toBe(5);
    expect(currentRevision(deployment({}), [replicaSet('2', 'a'), replicaSet('4', 'b')])).toBe(4);
    expect(currentRevision(deployment({}), [])).toBeUndefined();
  });
});
