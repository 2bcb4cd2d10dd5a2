import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../src/features/entity.js';
import { CaseTracker, summarizeCase, type CallGraph } from '../../../src/triage/case-tracker.js';
import type { Incident } from '../../../src/triage/incident-tracker.js';

const MIN = 60_000;
const workload = (ns: string, name: string): Entity => ({ key: `workload:${ns}/${name}`, kind: 'workload', namespace: ns, name, workload: name });
const pod = (ns: string, name: string, w: string): Entity => ({ key: `pod:${ns}/${name}`, kind: 'pod', namespace: ns, name, pod: name, workload: w });
const external = (ip: string): Entity => ({ key: `principal:${ip}`, kind: 'principal', name: ip, identity: 'ip' });
const model: Entity = { key: 'model:ml-prod/fraud@v3', kind: 'model', namespace: 'ml-prod', name: 'fraud', model: 'fraud', version: 'v3' };

const gateway = workload('istio-system', 'gateway');
const frontend = workload('ml-prod', 'frontend');
const inference = workload('ml-prod', 'inference');
const store = workload('ml-prod', 'feature-store');
const auth = workload('ml-prod', 'auth');

/** The mesh of the demo: gateway -> frontend -> inference -> feature-store, frontend -> auth. */
const graph: CallGraph = {
  calls: (a, b) => new Set(['gateway>frontend', 'frontend>inference', 'inference>feature-store', 'frontend>auth']).has(`${a.workload ?? a.name}>${b.workload ?? b.name}`),
  served: (w, p) => w.key === gateway.key && p.key === 'principal:203.0.113.77',
  serves: (w, m) => w.key === inference.key && m.key === model.key,
};

let n = 0;
function incident(entity: Entity, from: number, to: number): Incident {
  return { id: `i${++n}`, entity, openedAt: from * MIN, lastSeen: to * MIN, detectors: new Set(['d']), anomalies: 1, maxScore: 0.9 };
}

describe('CaseTracker', () => {
  it('groups an error storm along the call graph into one case rooted at the callee at the bottom, whatever the order', () => {
    const tracker = new CaseTracker(graph, 2 * MIN);
    const incidents = [incident(frontend, 0, 10), incident(gateway, 0, 10), incident(store, 0, 10), incident(inference, 1, 10)];
    const events = incidents.flatMap((i) => tracker.observe(i));
    const c = tracker.caseOf(incidents[0]?.id ?? '');
    expect(incidents.every((i) => tracker.caseOf(i.id) === c)).toBe(true);
    expect(c?.root.key).toBe(store.key);
    // frontend and gateway opened one case, feature-store another; inference joined them into one.
    expect(events.map((e) => e.event)).toEqual(['opened', 'joined', 'opened', 'merged', 'joined']);
  });

  it('roots a case at the external principal whose traffic the gateway served', () => {
    const tracker = new CaseTracker(graph, 2 * MIN);
    const incidents = [incident(auth, 0, 20), incident(external('203.0.113.77'), 0, 20), incident(frontend, 0, 20), incident(gateway, 0, 20)];
    for (const i of incidents) tracker.observe(i);
    const c = tracker.caseOf(incidents[0]?.id ?? '');
    expect(c && summarizeCase(c)).toMatchObject({ root: 'principal:203.0.113.77', entities: ['workload:ml-prod/auth', 'principal:203.0.113.77', 'workload:ml-prod/frontend', 'workload:istio-system/gateway'] });
  });

  it('puts a route and an external host with their workload, and roots the case at the workload, not its route', () => {
    const tracker = new CaseTracker(graph, 2 * MIN);
    const route: Entity = { key: 'route:ml-prod/feature-store:POST:/get', kind: 'route', namespace: 'ml-prod', name: 'POST /get', workload: 'feature-store' };
    const host: Entity = { key: 'authority:ml-prod/feature-store->db.example', kind: 'authority', namespace: 'ml-prod', name: 'db.example', workload: 'feature-store' };
    const incidents = [incident(route, 0, 10), incident(host, 0, 10), incident(inference, 0, 10), incident(store, 1, 10)];
    for (const i of incidents) tracker.observe(i);
    const c = tracker.caseOf(incidents[0]?.id ?? '');
    expect(incidents.every((i) => tracker.caseOf(i.id) === c)).toBe(true);
    expect(c?.root.key).toBe(store.key);
  });

  it('puts a model under the workload serving it and a pod with its workload', () => {
    const tracker = new CaseTracker(graph, 2 * MIN);
    const a = incident(inference, 0, 10);
    const b = incident(model, 1, 10);
    const c = incident(pod('ml-prod', 'inference-abc12-xyz89', 'inference'), 2, 5);
    for (const i of [a, b, c]) tracker.observe(i);
    expect(tracker.caseOf(b.id)).toBe(tracker.caseOf(a.id));
    expect(tracker.caseOf(c.id)).toBe(tracker.caseOf(a.id));
    expect(tracker.caseOf(a.id)?.root.key).toBe(model.key);
  });

  it('never groups on time alone, nor related entities whose spans do not meet', () => {
    const tracker = new CaseTracker(graph, 2 * MIN);
    const a = incident(auth, 0, 10);
    const b = incident(workload('other', 'unrelated'), 0, 10);
    const c = incident(inference, 30, 40);
    const d = incident(store, 43, 50);
    for (const i of [a, b, c, d]) tracker.observe(i);
    expect(new Set([a, b, c, d].map((i) => tracker.caseOf(i.id)?.id)).size).toBe(4);
  });

  it('resolves a case with its last open incident', () => {
    const tracker = new CaseTracker(graph, 2 * MIN);
    const a = incident(frontend, 0, 10);
    const b = incident(inference, 0, 12);
    tracker.observe(a);
    tracker.observe(b);
    expect(tracker.resolveIncident(a)).toEqual([]);
    expect(tracker.resolveIncident(b).map((e) => e.event)).toEqual(['resolved']);
  });
});
