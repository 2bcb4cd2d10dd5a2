import type { BreakerEvent } from '../app.js';
import type { ActionDeps } from '../actions/action-context.js';
import type { ActionsBlock } from '../actions/slack/block-kit.js';
import type { ReleaseTarget } from '../approvals/release-button.js';
import type { PlaybookRun, StepResult } from '../playbook/run-store.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { EngineMetrics } from '../server/metrics.js';

const QUARANTINE_ACTION = 'kubernetes.quarantine-pod';

/** What the reporter tells Slack and the metrics with. */
export interface StepReporterDeps {
  readonly slack: ActionDeps['slack'];
  readonly slackThreads: ActionDeps['slackThreads'];
  /** The "Release pod" button put under each quarantine's line in its incident thread. */
  readonly releaseButton: ((target: ReleaseTarget) => ActionsBlock) | undefined;
  readonly refusalsChannel: string;
  readonly metrics: EngineMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Tells people what the engine did: each step in its incident's thread, and opened breakers. */
export class StepReporter {
  constructor(private readonly deps: StepReporterDeps) {}

  /**
   * Puts each step in the incident's Slack thread ("Actions taken"); a refusal or failure opens
   * the thread in the refusals channel when the incident has none yet, so no refusal goes unseen.
   */
  async reportStep(run: PlaybookRun, result: StepResult): Promise<void> {
    const { metrics, slackThreads: threads, refusalsChannel } = this.deps;
    if (result.outcome === 'succeeded') {
      // From the end of the anomalous window (event time) to the effect: detection and response delay.
      metrics.anomalyToActionSeconds.observe({ action: result.action }, Math.max(0, result.at - run.anomaly.windowEnd) / 1000);
    }
    if (!threads || result.action === 'slack.notify' || result.action === 'slack.approval') return;
    const line = `${result.step} (${result.action}) on ${result.target}: ${result.outcome}: ${result.description}`;
    // One thread per case (the incident's own when it has none).
    const thread = run.caseId ?? run.incidentId;
    if (result.outcome === 'refused' || result.outcome === 'failed') {
      await threads.ensureThread(thread, refusalsChannel, run.anomaly);
    }
    const pod = result.action === QUARANTINE_ACTION && result.outcome === 'succeeded' ? /^Pod ([^/\s]+)\/(\S+)$/.exec(result.target) : null;
    const button = pod && this.deps.releaseButton ? this.deps.releaseButton({ namespace: pod[1] ?? '', pod: pod[2] ?? '', incidentId: run.incidentId }) : undefined;
    // The button must reach someone even when the playbook tells Slack only after isolating.
    if (button) await threads.ensureThread(thread, refusalsChannel, run.anomaly);
    await threads.recordAction(thread, line, `${run.id}/${result.index}/${result.outcome}`, button);
  }

  /** A breaker stops automatic action: a human must hear of it at once. */
  announceBreaker(event: BreakerEvent): void {
    const { metrics, clock, logger, slack } = this.deps;
    metrics.breakerOpen.set({ detector: event.detector }, 1);
    const closes = setTimeout(() => { metrics.breakerOpen.set({ detector: event.detector }, 0); }, Math.max(0, Date.parse(event.until) - clock.now()));
    closes.unref();
    // Logged too, so the SOC hears of it without Slack (the breaker is an incident of its own).
    logger.error({ breaker: event }, 'automatic action suspended: a detector breaker opened');
    if (!slack) return;
    const text = `:rotating_light: Automatic action suspended: detector *${event.detector}* flagged ${(event.share * 100).toFixed(0)}% of ${event.scored} entities (${event.sources} distinct sources) in the window ending ${event.windowEnd}. ` +
      `Until ${event.until}, destructive steps on its anomalies are refused; check the detector and the platform.`;
    slack.chat.postMessage({ channel: this.deps.refusalsChannel, text }).catch((error: unknown) => {
      logger.warn({ err: describeError(error) }, 'could not announce a breaker in Slack');
    });
  }
}
