/**
 * The quarantine figure of `npm run bench`: an anomaly handed to the engine -> the NetworkPolicy
 * visible on the real API server, p50/p99 (BENCH_QUARANTINES anomalies).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoreV1Api, NetworkingV1Api, Watch, type KubeConfig, type V1Deployment, type V1Namespace } from '@kubernetes/client-node';
import { kubeObject } from '../src/actions/kubernetes/kube-object.js';
import { Ledger } from '../src/audit/ledger.js';
import { loadConfig } from '../src/config/load-config.js';
import { ClusterRails } from '../src/coordination/cluster-rails.js';
import { KubeLeaseClaims } from '../src/coordination/kube-lease-claims.js';
import type { Anomaly } from '../src/detect/anomaly.js';
import type { Entity } from '../src/features/entity.js';
import { PlaybookEngine } from '../src/playbook/playbook-engine.js';
import type { PlaybookSpec } from '../src/playbook/playbook-spec.js';
import { RunExecutor } from '../src/playbook/run-executor.js';
import { FileRunStore } from '../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../src/playbook/safety-guard.js';
import { systemClock } from '../src/shared/clock.js';
import { silentLogger } from '../src/shared/logger.js';
import { IncidentTracker } from '../src/triage/incident-tracker.js';
import { envInt, out } from './bench-output.js';
import { within, withKubernetes } from './service-bench-backends.js';

const MIN = 60_000;

/** The shipped playbooks with `ml-prod` replaced by the bench namespace. */
async function playbooksFor(namespace: string): Promise<PlaybookSpec[]> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-bench-playbooks-'));
  try {
    // Playbook files only: `playbooks/tests/` holds their tests, not playbooks.
    for (const file of readdirSync('playbooks').filter((name) => /\.ya?ml$/.test(name))) writeFileSync(join(dir, file), readFileSync(join('playbooks', file), 'utf8').replaceAll('ml-prod', namespace));
    const config = await loadConfig([dir]);
    if (config.problems.length > 0) throw new Error('the shipped playbooks do not validate; run meshwarden check playbooks');
    return config.playbooks.map((p) => p.value);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

async function runningPods(core: CoreV1Api, namespace: string): Promise<string[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=inference' });
  return pods.items
    .filter((p) => p.status?.phase === 'Running' && p.metadata?.deletionTimestamp === undefined)
    .map((p) => p.metadata?.name ?? '')
    .filter((name) => name !== '');
}

export async function benchQuarantine(): Promise<void> {
  const count = envInt('BENCH_QUARANTINES', 30);
  await withKubernetes(async ({ admin }) => {
    const namespace = `bench-${Date.now().toString(36)}`;
    const core = admin.makeApiClient(CoreV1Api);
    const apps = admin.makeApiClient(AppsV1Api);
    const networking = admin.makeApiClient(NetworkingV1Api);
    await core.createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name: namespace } }) });
    await apps.createNamespacedDeployment({
      namespace,
      body: kubeObject<V1Deployment>({
        metadata: { name: 'inference', labels: { app: 'inference' } },
        spec: {
          replicas: count,
          selector: { matchLabels: { app: 'inference' } },
          template: { metadata: { labels: { app: 'inference' } }, spec: { containers: [{ name: 'model-server', image: 'registry.local/inference:3.1' }] } },
        },
      }),
    });
    const pods = await within(`${count} inference pods Running`, 180_000, (async () => {
      for (;;) {
        const running = await runningPods(core, namespace);
        if (running.length >= count) return running.slice(0, count);
        await sleep(250);
      }
    })());
    out(`  Deployment of ${count} replicas Running on the kwok node; ${count} sequential quarantines (admin credential, no approval step, each run claiming its pod and booking its budget slots as Leases first)`);

    const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-bench-quarantine-'));
    const abort = await watchPolicies(admin, namespace);
    try {
      const playbooks = await playbooksFor(namespace);
      const ledger = await Ledger.open(join(stateDir, 'audit'), systemClock);
      const hour = 3_600_000;
      const policy = {
        ...DEFAULT_SAFETY_POLICY,
        // The bench quarantines many pods of one workload on purpose; budgets far from full, as
        // in normal operation (a nearly full budget makes each step search more slots).
        rateLimits: { perTarget: { count: 10, windowMs: hour }, perNamespace: { count: 10 * count, windowMs: hour }, global: { count: 10 * count, windowMs: hour } },
        blastRadius: { maxQuarantinedPerWorkload: 10 * count, maxQuarantinedPerNamespace: 10 * count },
      };
      const guard = new SafetyGuard(policy);
      const isolated = new Map<string, number>();
      const claims = new KubeLeaseClaims(admin, namespace, systemClock);
      const executor = new RunExecutor({
        playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard, store: new FileRunStore(join(stateDir, 'runs')), ledger,
        actionDeps: { kube: admin, clock: systemClock, logger: silentLogger() },
        // As in the cluster service: each run first claims its playbook and pod, and each step books
        // its rate-limit and blast-radius slots (Leases).
        claims: { store: claims, holdAtLeastMs: hour },
        clusterRails: new ClusterRails(claims, policy, 24 * hour),
        onStep: (run, result) => {
          if (result.action === 'kubernetes.quarantine-pod') {
            isolated.set(run.anomaly.entity.key, performance.now());
            if (result.outcome !== 'succeeded') throw new Error(`quarantine of ${run.anomaly.entity.key}: ${result.outcome}: ${result.description}`);
          }
          return Promise.resolve();
        },
      });
      const engine = new PlaybookEngine(playbooks, { dryRun: false });
      const tracker = new IncidentTracker(10 * MIN);

      const toPolicy: number[] = [];
      const toStep: number[] = [];
      for (const [i, pod] of pods.entries()) {
        const entity: Entity = { key: `pod:${namespace}/${pod}`, kind: 'pod', namespace, name: pod, pod, workload: 'inference', labels: { app: 'inference' } };
        const windowEnd = Date.now();
        const anomaly: Anomaly = {
          id: `bench-egress-${i}-${windowEnd}`, detector: 'egress-spike', severity: 'critical', score: 0.995, entity, windowStart: windowEnd - MIN, windowEnd,
          evidence: [{ feature: 'egress_bytes', observed: 9e7, expected: 1.5e3, spread: 150, score: 0.995 }],
        };
        const started = performance.now();
        const { runs } = engine.handle(anomaly, tracker.observe(anomaly).incident);
        if (runs.length !== 1 || runs[0]?.playbook !== 'quarantine-on-exfiltration') throw new Error(`expected one quarantine-on-exfiltration run for ${pod}, got ${runs.map((r) => r.playbook).join(', ') || 'none'}`);
        for (const run of runs) await within(`the run for ${pod}`, 60_000, executor.start(run));
        const visible = await within(`the NetworkPolicy of ${pod} to be watched`, 30_000, abort.seen(pod));
        const done = isolated.get(entity.key);
        if (done === undefined) throw new Error(`no quarantine step result for ${pod}`);
        toPolicy.push(visible - started);
        toStep.push(done - started);
      }
      // Readable, not just announced: every policy is there on a plain GET.
      const listed = await networking.listNamespacedNetworkPolicy({ namespace });
      const names = new Set(listed.items.map((p) => p.metadata?.name ?? ''));
      const missing = [...abort.names()].filter((name) => !names.has(name));
      if (missing.length > 0 || abort.names().size < count) throw new Error(`NetworkPolicies not readable: ${missing.join(', ')}`);

      const report = (label: string, samples: number[]): number => {
        const sorted = [...samples].sort((a, b) => a - b);
        const p99 = percentile(sorted, 0.99);
        out(`  ${label.padEnd(42)} p50 ${percentile(sorted, 0.5).toFixed(0).padStart(4)} ms   p99 ${p99.toFixed(0).padStart(4)} ms   max ${(sorted.at(-1) ?? Number.NaN).toFixed(0).padStart(4)} ms`);
        return p99;
      };
      const p99 = report('anomaly -> NetworkPolicy seen by a watch', toPolicy);
      report('anomaly -> quarantine step done (pod detached)', toStep);
      out(`  p99 anomaly -> NetworkPolicy ${p99.toFixed(0)} ms (target < 250 ms without approval) ${p99 < 250 ? 'ok' : 'ABOVE TARGET'}`);
    } finally {
      abort.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
}

/** Watches the namespace's NetworkPolicies and remembers when each pod's policy was first seen. */
async function watchPolicies(kc: KubeConfig, namespace: string): Promise<{ seen(pod: string): Promise<number>; names(): ReadonlySet<string>; stop(): void }> {
  const seenAt = new Map<string, number>();
  const policyNames = new Set<string>();
  const waiters = new Map<string, (at: number) => void>();
  let failure: unknown;
  const controller = await new Watch(kc).watch(
    `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`,
    {},
    (phase: string, obj: unknown) => {
      if (phase !== 'ADDED') return;
      const at = performance.now();
      const name = (obj as { metadata?: { name?: string } }).metadata?.name ?? '';
      policyNames.add(name);
      // quarantinePolicyName: `meshwarden-quarantine-<pod>` whenever that fits (bench pod names do).
      const pod = name.replace(/^meshwarden-quarantine-/, '');
      if (seenAt.has(pod)) return;
      seenAt.set(pod, at);
      waiters.get(pod)?.(at);
    },
    (error: unknown) => { failure = error; },
  );
  return {
    seen: (pod) => {
      const at = seenAt.get(pod);
      if (at !== undefined) return Promise.resolve(at);
      if (failure !== undefined) return Promise.reject(new Error(`the NetworkPolicy watch ended: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}`));
      return new Promise((resolve) => waiters.set(pod, resolve));
    },
    names: () => policyNames,
    stop: () => { controller.abort(); },
  };
}

// ---------------------------------------------------------------------------------------------
