import type { Silencer } from '../silences/silence-cache.js';
import type { Silence } from '../silences/silence.js';
import type { PlaybookRun } from './run-store.js';

/** A step a silence holds back: the silence and the sentence the ledger and Slack show. */
export interface SilencedStep {
  readonly silence: Silence;
  readonly description: string;
}

/**
 * The silence gate: the step is not executed when a silence in force at `at` matches its detector,
 * entity, playbook and action. What it would have done is still said, with the silence that held
 * it back: `would have <description>, silenced by <id> (<comment>, <author>)`.
 */
export function silenceGate(
  silencer: Silencer | undefined,
  run: PlaybookRun,
  step: { readonly action: string; readonly description: string },
  at: number,
): SilencedStep | undefined {
  if (silencer === undefined) return undefined;
  const silence = silencer.match({ detector: run.anomaly.detector, entity: run.anomaly.entity, playbook: run.playbook, action: step.action }, at);
  if (silence === undefined) return undefined;
  const why = [silence.comment, silence.createdBy].filter((s) => s !== '').join(', ');
  return { silence, description: `would have ${step.description}, silenced by ${silence.id} (${why})` };
}
