import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor, type FeatureExtractorOptions } from '../../../src/features/feature-extractor.js';
import type { FeatureWindow } from '../../../src/features/feature-window.js';
import type { AccessLogRecord } from '../../../src/parse/records.js';
import { inbound, outbound } from '../helpers/records.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 7, 0, 0, 0);
const OPTIONS: FeatureExtractorOptions = { ...DEFAULT_FEATURE_OPTIONS, edgeLearningMs: 60 * MIN, changeWindowMs: 30 * MIN };
const OLD = '6d5f7b9c4';
const NEW = '8a9b1c2d3';
/** The old revision's pods run from T0; the new revision's first pod logs at ROLLOUT. */
const ROLLOUT = T0 + 180 * MIN;

/** A line of an llm-router pod with the labels its log shipper read from the Kubernetes API. */
function labelled(record: AccessLogRecord, hash: string | undefined): AccessLogRecord {
  const labels: Record<string, string> = { app: 'llm-router', ...(hash !== undefined ? { 'pod-template-hash': hash } : {}) };
  return { ...record, kubernetes: { namespace: 'assist', pod: record.kubernetes?.pod ?? '?', labels } };
}

function call(pod: string, hash: string | undefined, at: number, service: string): AccessLogRecord {
  return labelled(outbound(pod, 'llm-router', at, service), hash);
}

function serve(pod: string, hash: string, at: number): AccessLogRecord {
  return labelled(inbound(pod, 'llm-router', at), hash);
}

/** A router whose old revision has called the provider since T0, then its new revision's first line at ROLLOUT. */
function routerWithRollout(): FeatureExtractor {
  const fx = new FeatureExtractor(OPTIONS);
  for (let t = T0; t < ROLLOUT; t += 30 * MIN) fx.ingest(call(`llm-router-${OLD}-aaaaa`, OLD, t, 'provider.assist.svc.cluster.local'));
  fx.ingest(serve(`llm-router-${NEW}-bbbbb`, NEW, ROLLOUT));
  return fx;
}

function podWindows(closed: readonly FeatureWindow[], pod: string): FeatureWindow[] {
  return closed.filter((w) => w.entity.key === `pod:assist/${pod}` && w.features.egress_bytes !== undefined);
}

describe('new edges of a rollout (change-aware)', () => {
  it('reports a new revision\'s new edge within the change window as a change naming the rollout, not as a new edge', () => {
    const fx = routerWithRollout();
    fx.ingest(call(`llm-router-${NEW}-bbbbb`, NEW, ROLLOUT + 5 * MIN, 'prompt-cache.assist.svc.cluster.local'));
    const [w] = podWindows(fx.flush().windows, `llm-router-${NEW}-bbbbb`);
    expect(w?.features).toMatchObject({ new_edges: 0, rollout_edges: 1 });
    expect(w?.details.rollout_edges).toEqual(['assist/llm-router -> prompt-cache.assist', `rollout: llm-router ${OLD} -> ${NEW}`]);
    expect(w?.details.new_edges).toBeUndefined();
  });

  it('keeps the same new edge an intrusion when a pod of the unchanged revision makes it during the rollout', () => {
    const fx = routerWithRollout();
    fx.ingest(call(`llm-router-${OLD}-aaaaa`, OLD, ROLLOUT + 5 * MIN, 'prompt-cache.assist.svc.cluster.local'));
    const [w] = podWindows(fx.flush().windows, `llm-router-${OLD}-aaaaa`).filter((x) => x.windowStart === ROLLOUT + 5 * MIN);
    expect(w?.features).toMatchObject({ new_edges: 1, rollout_edges: 0 });
  });

  it('flags an old pod that follows the new revision onto the edge the rollout brought (no piggy-backing on the change)', () => {
    const fx = routerWithRollout();
    fx.ingest(call(`llm-router-${NEW}-bbbbb`, NEW, ROLLOUT + 5 * MIN, 'prompt-cache.assist.svc.cluster.local'));
    fx.ingest(call(`llm-router-${OLD}-aaaaa`, OLD, ROLLOUT + 6 * MIN, 'prompt-cache.assist.svc.cluster.local'));
    fx.ingest(call(`llm-router-${NEW}-ccccc`, NEW, ROLLOUT + 7 * MIN, 'prompt-cache.assist.svc.cluster.local'));
    const closed = fx.flush().windows;
    const old = podWindows(closed, `llm-router-${OLD}-aaaaa`).find((w) => w.windowStart === ROLLOUT + 6 * MIN);
    expect(old?.features).toMatchObject({ new_edges: 1, rollout_edges: 0 });
    expect(old?.details.new_edges).toEqual(['assist/llm-router -> prompt-cache.assist']);
    // A second pod of the new revision using its own revision's edge is nothing new.
    expect(podWindows(closed, `llm-router-${NEW}-ccccc`)[0]?.features).toMatchObject({ new_edges: 0, rollout_edges: 0 });
  });

  it('keeps the rollout\'s edge its own when a straggling line of the same revision arrives with an earlier time', () => {
    const fx = routerWithRollout();
    const pod = `llm-router-${NEW}-bbbbb`;
    fx.ingest(call(pod, NEW, ROLLOUT + 5 * MIN + 20_000, 'prompt-cache.assist.svc.cluster.local'));
    fx.ingest(serve(pod, NEW, ROLLOUT - 1_000));
    fx.ingest(call(pod, NEW, ROLLOUT + 5 * MIN + 40_000, 'prompt-cache.assist.svc.cluster.local'));
    const [w] = podWindows(fx.flush().windows, pod).filter((x) => x.windowStart === ROLLOUT + 5 * MIN);
    expect(w?.features).toMatchObject({ new_edges: 0, rollout_edges: 1 });
  });

  it('bounds the change window: a new revision\'s new edge 30 minutes after its first line is an intrusion', () => {
    const fx = routerWithRollout();
    fx.ingest(call(`llm-router-${NEW}-bbbbb`, NEW, ROLLOUT + 30 * MIN, 'exfil.example.net'));
    const [w] = podWindows(fx.flush().windows, `llm-router-${NEW}-bbbbb`);
    expect(w?.features).toMatchObject({ new_edges: 1, rollout_edges: 0 });
  });

  it('grants no change to a pod whose line carries no revision label', () => {
    const fx = routerWithRollout();
    fx.ingest(call('llm-router-x-ddddd', undefined, ROLLOUT + 2 * MIN, 'prompt-cache.assist.svc.cluster.local'));
    const [w] = podWindows(fx.flush().windows, 'llm-router-x-ddddd');
    expect(w?.features).toMatchObject({ new_edges: 1, rollout_edges: 0 });
  });

  it('reads the `version` label where a workload has no pod-template-hash', () => {
    const fx = new FeatureExtractor(OPTIONS);
    const versioned = (pod: string, version: string, at: number, service: string): AccessLogRecord =>
      ({ ...outbound(pod, 'llm-router', at, service), kubernetes: { namespace: 'assist', pod, labels: { app: 'llm-router', version } } });
    for (let t = T0; t < ROLLOUT; t += 30 * MIN) fx.ingest(versioned('llm-router-0', 'v3', t, 'provider.assist.svc.cluster.local'));
    fx.ingest(versioned('llm-router-1', 'v4', ROLLOUT, 'prompt-cache.assist.svc.cluster.local'));
    const [w] = podWindows(fx.flush().windows, 'llm-router-1');
    expect(w?.details.rollout_edges).toContain('rollout: llm-router v3 -> v4');
  });

  it('reads the ReplicaSet hash from the pod\'s name when the shipper sends no labels (OpenTelemetry k8sattributes)', () => {
    const fx = routerWithRollout();
    const pod = `llm-router-${NEW}-eeeee`;
    const bare = { ...outbound(pod, 'llm-router', ROLLOUT + 3 * MIN, 'prompt-cache.assist.svc.cluster.local'), kubernetes: { namespace: 'assist', pod } };
    fx.ingest(bare);
    const [w] = podWindows(fx.flush().windows, pod);
    expect(w?.features).toMatchObject({ new_edges: 0, rollout_edges: 1 });
    expect(w?.details.rollout_edges).toContain(`rollout: llm-router ${OLD} -> ${NEW}`);
  });

  it('opens no change window when the engine starts: two revisions seen together at the start are a baseline, not a rollout', () => {
    const fx = new FeatureExtractor({ ...OPTIONS, edgeLearningMs: 0 });
    fx.ingest(call(`llm-router-${OLD}-aaaaa`, OLD, T0, 'provider.assist.svc.cluster.local'));
    fx.ingest(call(`llm-router-${NEW}-bbbbb`, NEW, T0 + MIN, 'provider.assist.svc.cluster.local'));
    fx.ingest(call(`llm-router-${NEW}-bbbbb`, NEW, T0 + 2 * MIN, 'exfil.example.net'));
    const [w] = podWindows(fx.flush().windows, `llm-router-${NEW}-bbbbb`).filter((x) => x.windowStart === T0 + 2 * MIN);
    expect(w?.features).toMatchObject({ new_edges: 1, rollout_edges: 0 });
  });

  it('keeps a rollout in progress across a restart from a snapshot, and its baseline', () => {
    const fx = routerWithRollout();
    fx.ingest(serve(`llm-router-${NEW}-bbbbb`, NEW, ROLLOUT + 2 * MIN));
    fx.advance();
    const saved = fx.snapshot();
    expect(saved.revisions).toEqual([['workload:assist/llm-router', OLD, T0], ['workload:assist/llm-router', NEW, ROLLOUT]]);
    const restarted = new FeatureExtractor(OPTIONS, fx.clock(), JSON.parse(JSON.stringify(saved)) as typeof saved);
    restarted.ingest(call(`llm-router-${NEW}-bbbbb`, NEW, ROLLOUT + 10 * MIN, 'prompt-cache.assist.svc.cluster.local'));
    const [w] = podWindows(restarted.flush().windows, `llm-router-${NEW}-bbbbb`);
    expect(w?.features).toMatchObject({ new_edges: 0, rollout_edges: 1 });
  });

  it('ignores malformed saved revisions instead of failing the restore', () => {
    const fx = routerWithRollout();
    fx.advance();
    const saved = { ...fx.snapshot(), revisions: [['workload:assist/llm-router', 7, 'x'], 'junk', ['workload:assist/llm-router', NEW, Number.NaN]] };
    const restarted = new FeatureExtractor(OPTIONS, fx.clock(), saved as unknown as ReturnType<FeatureExtractor['snapshot']>);
    restarted.ingest(call(`llm-router-${NEW}-bbbbb`, NEW, ROLLOUT + 10 * MIN, 'prompt-cache.assist.svc.cluster.local'));
    // Without the saved sightings, the new revision is this run's baseline: its new edge is an intrusion.
    const [w] = podWindows(restarted.flush().windows, `llm-router-${NEW}-bbbbb`);
    expect(w?.features).toMatchObject({ new_edges: 1, rollout_edges: 0 });
  });
});
