import { DEFAULT_PIPELINE_OPTIONS, Pipeline, type PipelineOptions } from '../app.js';
import type { DetectorSpec } from '../detect/detector-spec.js';
import { DEFAULT_FEATURE_OPTIONS } from '../features/feature-extractor.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import type { Clock } from '../shared/clock.js';
import type { PlaybookTestCase, RecordInput } from './playbook-test-spec.js';
import { entityFromKey, testAnomaly } from './test-anomaly.js';

/** Records one case may generate in all: a test is a few baselines and an attack, not a replay. */
export const MAX_CASE_RECORDS = 200_000;
/** Dead letters a failing case quotes (the rest are counted). */
const QUOTED_DEAD_LETTERS = 3;

/** An anomaly as a test sees it. */
export interface ObservedAnomaly {
  readonly detector: string;
  readonly entity: string;
  readonly window: string;
  readonly score: number;
}

/** An incident as a test sees it. */
export interface ObservedIncident {
  readonly entity: string;
  readonly detectors: readonly string[];
}

/** One step of one run, as a test sees it. */
export interface ObservedAction {
  readonly playbook: string;
  readonly step: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
  readonly description: string;
}

/** What one case produced, or why it could not run. */
export type CaseOutcome =
  | { readonly ok: true; readonly anomalies: ObservedAnomaly[]; readonly incidents: ObservedIncident[]; readonly actions: ObservedAction[]; readonly deadLetters: string[] }
  | { readonly ok: false; readonly problem: string };

/** The detectors and playbooks a case runs with. */
export interface CaseContext {
  readonly detectors: readonly DetectorSpec[];
  readonly playbooks: readonly PlaybookSpec[];
  readonly windowMs: number;
}

/**
 * Runs one case through the embedded pipeline in dry-run: records are parsed, windowed and scored
 * by the detectors; anomalies given directly go to triage and the playbooks after them. Nothing is
 * written anywhere: the ledger and dead letters stay in memory. The clock handed to the pipeline
 * stands just after the case's last event, so event-time checks judge the case as live would.
 */
export function runTestCase(testCase: PlaybookTestCase, context: CaseContext): CaseOutcome {
  const records = testCase.input.records ?? [];
  const total = records.reduce((sum, r) => sum + r.count, 0);
  if (total > MAX_CASE_RECORDS) return { ok: false, problem: `the case generates ${total.toLocaleString('en-US')} records; a case may generate at most ${MAX_CASE_RECORDS.toLocaleString('en-US')}, lower the counts` };
  const anomalies = [];
  for (const input of testCase.input.anomalies ?? []) {
    const entity = entityFromKey(input.entity, input.labels, input.identity);
    if (typeof entity === 'string') return { ok: false, problem: entity };
    const detector = context.detectors.find((d) => d.metadata.name === input.detector);
    anomalies.push(testAnomaly(input, entity, context.windowMs, detector?.spec.severity));
  }
  anomalies.sort((a, b) => a.windowStart - b.windowStart);
  const lines = expandRecords(records);
  const lastEvent = Math.max(lines.at(-1)?.at ?? Number.NEGATIVE_INFINITY, anomalies.at(-1)?.windowEnd ?? Number.NEGATIVE_INFINITY);
  const clock: Clock = { now: () => (Number.isFinite(lastEvent) ? lastEvent + context.windowMs : 0) };
  const deadLetters: string[] = [];
  let deadLettered = 0;
  const options: PipelineOptions = {
    ...DEFAULT_PIPELINE_OPTIONS,
    dryRun: true,
    features: { ...DEFAULT_FEATURE_OPTIONS, windowMs: context.windowMs },
  };
  const pipeline = new Pipeline(
    context.detectors,
    context.playbooks,
    options,
    {
      deadLetters: {
        add: (letter) => {
          deadLettered++;
          if (deadLetters.length < QUOTED_DEAD_LETTERS) deadLetters.push(`record ${letter.origin.position}: ${letter.reason}`);
        },
      },
      ledger: { append: () => undefined, flush: () => Promise.resolve() },
    },
    {},
    { clock },
  );
  lines.forEach((line, i) => {
    pipeline.ingest(line.text, { source: 'test', position: i + 1 });
  });
  pipeline.finish();
  for (const anomaly of anomalies) pipeline.inject(anomaly);
  pipeline.finish();
  if (deadLettered > deadLetters.length) deadLetters.push(`... and ${deadLettered - deadLetters.length} more`);
  return {
    ok: true,
    anomalies: pipeline.anomalies.map((a) => ({ detector: a.detector, entity: a.entity.key, window: new Date(a.windowStart).toISOString(), score: a.score })),
    incidents: pipeline.incidents.map((i) => ({ entity: i.entity, detectors: i.detectors })),
    actions: pipeline.actions.map((a) => ({ playbook: a.playbook, step: a.step, action: a.action, target: a.target, outcome: a.outcome, description: a.description })),
    deadLetters,
  };
}

/** Every copy of every record entry, in event-time order (stable for equal times). */
function expandRecords(records: readonly RecordInput[]): { at: number; text: string }[] {
  const out: { at: number; text: string; order: number }[] = [];
  let order = 0;
  for (const record of records) {
    for (let i = 0; i < record.count; i++) {
      const at = record.at + i * (record.every ?? 0);
      const iso = new Date(at).toISOString();
      out.push({ at, order: order++, text: record.line.replace(/\{\{ ?time ?\}\}/g, iso).replace(/\{\{ ?epoch ?\}\}/g, String(at / 1000)) });
    }
  }
  return out.sort((a, b) => a.at - b.at || a.order - b.order);
}
