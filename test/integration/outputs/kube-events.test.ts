import { EventsV1Api, RbacAuthorizationV1Api, AuthorizationV1Api, type EventsV1Event, type V1Role, type V1RoleBinding, type V1SelfSubjectAccessReview } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeObject } from '../../../src/actions/kubernetes/kube-object.js';
import { EVENT_RBAC_RULES, KubeEventRecorder } from '../../../src/outputs/kube-event-recorder.js';
import { REPORTING_CONTROLLER } from '../../../src/outputs/kube-event.js';
import { RunExecutor } from '../../../src/playbook/run-executor.js';
import { MemoryRunStore, type PlaybookRun, type StepResult } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../../../src/playbook/safety-guard.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { kubeConfigFor, restrictedUserName } from '../../env/kube-backend.js';
import { waitFor } from '../../env/wait-for.js';
import { actionsById } from '../actions/action-harness.js';
import { deleteNamespaces, restrictedTo, runningDeployment } from '../actions/kube-harness.js';
import { burst, fixtureConfig, incidentPipeline } from './outputs-harness.js';

afterAll(async () => {
  await deleteNamespaces();
});

/** Grants the restricted user exactly what the recorder declares (EVENT_RBAC_RULES) in `namespace`. */
async function grantEvents(namespace: string): Promise<void> {
  const rbac = kubeConfigFor('admin').makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace,
    body: kubeObject<V1Role>({ metadata: { name: 'meshwarden-events' }, rules: EVENT_RBAC_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })) }),
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: kubeObject<V1RoleBinding>({
      metadata: { name: 'meshwarden-events' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'meshwarden-events' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: restrictedUserName() }],
    }),
  });
  const authz = kubeConfigFor('restricted').makeApiClient(AuthorizationV1Api);
  await waitFor('the events RoleBinding to take effect', 30_000, async () => {
    const review = await authz.createSelfSubjectAccessReview({
      body: kubeObject<V1SelfSubjectAccessReview>({ spec: { resourceAttributes: { namespace, group: 'events.k8s.io', resource: 'events', verb: 'create' } } }),
    });
    return review.status?.allowed === true;
  });
}

async function ourEvents(namespace: string): Promise<EventsV1Event[]> {
  const events = await kubeConfigFor('admin').makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
  return events.items.filter((e) => e.reportingController === REPORTING_CONTROLLER);
}

describe('Kubernetes Events on acted-on objects, against a real API server', () => {
  it('leaves an events.k8s.io/v1 Event on the pod a live playbook run quarantined, once however often the step is reported', async () => {
    const { namespace, pods: [pod = ''] } = await runningDeployment('events', 'model', 2);
    const kube = await restrictedTo(namespace, actionsById('kubernetes.quarantine-pod'));
    await grantEvents(namespace);
    const recorder = new KubeEventRecorder({ kube, logger: silentLogger(), metrics: createMetrics(), reportingInstance: 'meshwarden-0', maxQueue: 100 });
    const reported: [PlaybookRun, StepResult][] = [];
    const { playbooks } = await fixtureConfig();
    const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
    const executor = new RunExecutor({
      playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard, store: new MemoryRunStore(),
      ledger: { append: () => undefined, flush: () => Promise.resolve() }, actionDeps: { kube, clock: systemClock, logger: silentLogger() },
      // What the service's executor does with each step (src/service.ts, onStep).
      onStep: (run, result) => { reported.push([run, result]); recorder.stepResult(run, result); return Promise.resolve(); },
    });
    const pipeline = await incidentPipeline(undefined, { executor, guard });
    burst(pipeline, { namespace, name: pod, app: 'model' }, Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000);
    await pipeline.drain();
    await recorder.idle();

    expect(reported.map(([, r]) => [r.action, r.outcome])).toEqual([['kubernetes.quarantine-pod', 'succeeded']]);
    const events = await ourEvents(namespace);
    expect(events).toHaveLength(1);
    const event = events[0];
    console.info(`Event read back: ${JSON.stringify({ reason: event?.reason, action: event?.action, type: event?.type, note: event?.note, regarding: event?.regarding, reportingController: event?.reportingController, reportingInstance: event?.reportingInstance })}`);
    expect(event).toMatchObject({
      reason: 'Quarantined', action: 'QuarantinePod', type: 'Normal', reportingController: 'meshwarden.io/engine', reportingInstance: 'meshwarden-0',
      regarding: { apiVersion: 'v1', kind: 'Pod', namespace, name: pod },
    });
    expect(event?.note).toMatch(/^isolate the pod \(kubernetes\.quarantine-pod\) succeeded: .+ \[playbook outputs-quarantine, incident [0-9a-f]{16}\]$/);
    expect(event?.eventTime).toBeDefined();

    // The same step reported again (a resumed run): the Event's name is the step's, nothing new.
    const [again] = reported;
    if (again) recorder.stepResult(...again);
    await recorder.idle();
    expect(await ourEvents(namespace)).toHaveLength(1);
    await recorder.stop();
  }, 180_000);

  it('counts an Event the API server refuses (no RBAC for events) and never fails the step', async () => {
    const { namespace, pods: [pod = ''] } = await runningDeployment('noevents', 'model', 1);
    const kube = await restrictedTo(namespace, actionsById('kubernetes.quarantine-pod'));
    const metrics = createMetrics();
    const recorder = new KubeEventRecorder({ kube, logger: silentLogger(), metrics, reportingInstance: 'meshwarden-0', maxQueue: 100, retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 } });
    const run = { id: 'run-1', playbook: 'outputs-quarantine', incidentId: '0123456789abcdef' } as PlaybookRun;
    recorder.stepResult(run, {
      index: 0, step: 'isolate the pod', action: 'kubernetes.quarantine-pod', target: `Pod ${namespace}/${pod}`,
      targetRef: { kind: 'Pod', namespace, name: pod }, outcome: 'succeeded', description: 'quarantined', at: Date.now(),
    });
    await recorder.idle();
    expect(await ourEvents(namespace)).toEqual([]);
    const counted = (await metrics.outputDeliveries.get()).values.filter((v) => v.labels.output === 'kubernetes-events');
    // 403 is a refusal, not retried.
    expect(counted.map((v) => [v.labels.outcome, v.value])).toEqual([['failed', 1]]);
    await recorder.stop();
  }, 180_000);
});
