import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { DetectorSpec } from '../../../src/detect/detector-spec.js';
import type { IncidentSink } from '../../../src/outputs/incident-sink.js';
import type { PlaybookSpec } from '../../../src/playbook/playbook-spec.js';
import type { RunExecutor } from '../../../src/playbook/run-executor.js';
import type { SafetyGuard } from '../../../src/playbook/safety-guard.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');

/** The fixture detectors and playbooks. */
export async function fixtureConfig(): Promise<{ detectors: DetectorSpec[]; playbooks: PlaybookSpec[] }> {
  const config = await loadConfig([join(FIXTURES, 'detectors'), join(FIXTURES, 'playbooks')]);
  if (config.problems.length > 0) throw new Error(config.problems.map((p) => p.message).join('\n'));
  return { detectors: config.detectors.map((d) => d.value), playbooks: config.playbooks.map((p) => p.value) };
}

/**
 * A pipeline with a fixed-threshold egress detector and a quarantine playbook, reporting incidents
 * to `sink`. Dry-run, unless `live` brings the executor (and its guard) that runs the steps for real.
 */
export async function incidentPipeline(sink: IncidentSink | undefined, live?: { readonly executor: RunExecutor; readonly guard: SafetyGuard }): Promise<Pipeline> {
  const { detectors, playbooks } = await fixtureConfig();
  return new Pipeline(detectors, playbooks, { ...DEFAULT_PIPELINE_OPTIONS, collect: false, dryRun: live === undefined }, {
    deadLetters: { add: (letter) => { throw new Error(`unexpected dead letter: ${letter.reason}`); } },
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
    ...(sink ? { incidents: sink } : {}),
  }, {}, live ?? {});
}

/** A sidecar's outbound access-log line of `pod` sending `bytes` upstream, shipped by Fluent Bit with its metadata. */
export function egressLine(pod: { readonly namespace: string; readonly name: string; readonly app: string }, at: number, bytes: number): string {
  const text = `[${new Date(at).toISOString()}] "POST /v1/upload HTTP/1.1" 200 - via_upstream - "-" ${bytes} 20 5 4 "-" "t/1" "r-${at}" "exfil.example.com" "203.0.113.9:443" outbound|443||exfil.example.com 10.42.1.5:40000 203.0.113.9:443 10.42.1.5:39000 - -`;
  return JSON.stringify({ log: text, kubernetes: { namespace_name: pod.namespace, pod_name: pod.name, labels: { app: pod.app } } });
}

let position = 0;

/**
 * Feeds a 5 MB burst from `pod` in the minute starting at `minute`, then small lines two and a half
 * minutes later (three: event time advances once three records confirm it) so the watermark
 * closes that minute: the detector flags it and an incident opens.
 */
export function burst(pipeline: Pipeline, pod: { readonly namespace: string; readonly name: string; readonly app: string }, minute: number): void {
  burstAll(pipeline, [pod], minute);
}

/** {@link burst} from several pods in the same minute: their incidents open as that minute closes. */
export function burstAll(pipeline: Pipeline, pods: readonly { readonly namespace: string; readonly name: string; readonly app: string }[], minute: number): void {
  for (const pod of pods) for (let i = 0; i < 5; i++) pipeline.ingest(egressLine(pod, minute + i * 1_000, 1_000_000), { source: 'test/0', position: position++ });
  for (const pod of pods) for (let i = 0; i < 3; i++) pipeline.ingest(egressLine(pod, minute + 2 * 60_000 + 30_000 + i * 1_000, 10), { source: 'test/0', position: position++ });
}
