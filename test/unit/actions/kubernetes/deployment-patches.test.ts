import { describe, expect, it } from 'vitest';
import type { V1Deployment } from '@kubernetes/client-node';
import { DEPLOYMENT_ANNOTATIONS, RESTARTED_AT, restartPatch, rfc3339Seconds, scalePatch } from '../../../../src/actions/kubernetes/deployment-patches.js';
import { canaryRollbackPatch, supportsCanaryRollback } from '../../../../src/actions/kubernetes/inference-service.js';
import { kubeObject } from '../../../env/kube-object.js';

function deployment(replicas: number | undefined): V1Deployment {
  return kubeObject<V1Deployment>({
    metadata: { name: 'inference', resourceVersion: '99' },
    spec: { ...(replicas === undefined ? {} : { replicas }), selector: {}, template: {} },
  });
}

describe('scalePatch', () => {
  it('sets the count and records the previous one and the key, guarded by the resourceVersion', () => {
    expect(scalePatch(deployment(3), 0, 'pb/inc/2')).toEqual({
      metadata: {
        resourceVersion: '99',
        annotations: { [DEPLOYMENT_ANNOTATIONS.scaleKey]: 'pb/inc/2', [DEPLOYMENT_ANNOTATIONS.scalePreviousReplicas]: '3' },
      },
      spec: { replicas: 0 },
    });
  });

  it('records 1, the API default, when the Deployment leaves replicas unset', () => {
    expect(scalePatch(deployment(undefined), 0, 'k').metadata.annotations[DEPLOYMENT_ANNOTATIONS.scalePreviousReplicas]).toBe('1');
  });
});

describe('restartPatch', () => {
  it('sets restartedAt on the pod template in RFC 3339 at second precision, and the key on the Deployment', () => {
    expect(restartPatch(Date.parse('2026-11-03T09:05:07.891Z'), 'pb/inc/3')).toEqual({
      metadata: { annotations: { [DEPLOYMENT_ANNOTATIONS.restartKey]: 'pb/inc/3' } },
      spec: { template: { metadata: { annotations: { [RESTARTED_AT]: '2026-11-03T09:05:07Z' } } } },
    });
    expect(rfc3339Seconds(0)).toBe('1970-01-01T00:00:00Z');
  });
});

describe('InferenceService canary rollback', () => {
  it('is available in serverless mode only', () => {
    expect(supportsCanaryRollback({})).toBe(true);
    expect(supportsCanaryRollback({ metadata: { annotations: { 'serving.kserve.io/deploymentMode': 'Serverless' } } })).toBe(true);
    expect(supportsCanaryRollback({ metadata: { annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' } } })).toBe(false);
    expect(supportsCanaryRollback({ metadata: { annotations: { 'serving.kserve.io/deploymentMode': 'Standard' } } })).toBe(false);
  });

  it('sets canaryTrafficPercent 0 and records what it replaced', () => {
    expect(canaryRollbackPatch({ spec: { predictor: { canaryTrafficPercent: 25 } } }, 'pb/inc/0')).toEqual({
      metadata: { annotations: { 'meshwarden.io/rollback-idempotency-key': 'pb/inc/0', 'meshwarden.io/previous-canary-traffic-percent': '25' } },
      spec: { predictor: { canaryTrafficPercent: 0 } },
    });
    expect(canaryRollbackPatch({}, 'k').metadata.annotations['meshwarden.io/previous-canary-traffic-percent']).toBe('unset');
  });
});
