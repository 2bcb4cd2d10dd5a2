import type { WebClient } from '@slack/web-api';
import type { Anomaly } from '../../detect/anomaly.js';
import { ActionError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { ActionsBlock, SlackMessage } from './block-kit.js';
import { renderActionReply, renderAnomalyReply, renderIncidentMessage, summarize } from './incident-message.js';
import type { IncidentMessageRef, IncidentSummary, IncidentThread, IncidentThreadStore } from './incident-thread-store.js';
import { callSlack } from './slack-call.js';

/** How many applied idempotency keys and shown anomaly ids a thread remembers. */
const MAX_KEYS = 200;
const MAX_ANOMALIES = 500;

/** What {@link SlackIncidentThreads} needs. */
export interface SlackIncidentThreadsOptions {
  readonly slack: WebClient;
  readonly store: IncidentThreadStore;
  readonly logger: Logger;
  /** Buttons put on every incident message (the "Silence 4h" button with `slack.silencers`). */
  readonly incidentButtons?: (incidentId: string, summary: IncidentSummary) => ActionsBlock | undefined;
}

/** One `slack.notify` step, resolved. */
export interface NotifyRequest {
  readonly incidentId: string;
  /** As the playbook wrote it: `#soc-alerts`, `soc-alerts` or a channel id. */
  readonly channel: string;
  readonly anomaly: Anomaly;
  readonly text?: string;
  readonly mention?: readonly string[];
  readonly idempotencyKey: string;
}

/** What a notification did. */
export interface NotifyOutcome {
  /** `posted`: a new thread; `updated`: parent updated in place and a reply added; `already-done`: nothing sent. */
  readonly outcome: 'posted' | 'updated' | 'already-done';
  /** Channel id and parent ts of the incident's thread in that channel. */
  readonly channel: string;
  readonly ts: string;
  readonly replyTs?: string;
}

/** A posted message: its channel id and ts. */
export interface PostedMessage {
  readonly channel: string;
  readonly ts: string;
}

/** Metadata Slack keeps on the parent, so a thread can be traced back to its incident from Slack. */
const INCIDENT_EVENT_TYPE = 'meshwarden_incident';

/**
 * One Slack thread per incident and channel. The first notification posts the incident message;
 * later ones update it in place (`chat.update`) and add a thread reply for what is new. Approval
 * requests and action results are posted into the same thread. Thread positions live in an
 * {@link IncidentThreadStore} so they survive restarts.
 *
 * Calls for one incident are serialised in-process: two steps notifying at once must not start two
 * threads. Across replicas the engine's single executor (or lease) gives the same guarantee.
 */
export class SlackIncidentThreads {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: SlackIncidentThreadsOptions) {}

  /** Forgets the threads of incidents quiet since before `before` (epoch ms); returns how many. */
  async prune(before: number): Promise<number> {
    return (await this.options.store.prune?.(before)) ?? 0;
  }

  /**
   * Posts or updates the incident message for one notify step. Idempotent on the step's key: the
   * same key again sends nothing and reports `already-done`.
   */
  notify(request: NotifyRequest): Promise<NotifyOutcome> {
    return this.withLock(request.incidentId, async () => {
      const thread = await this.options.store.get(request.incidentId);
      const existing = thread === undefined ? undefined : findRef(thread.messages, request.channel);
      if (thread !== undefined && thread.appliedKeys.includes(request.idempotencyKey) && existing !== undefined) {
        return { outcome: 'already-done', channel: existing.channel, ts: existing.ts };
      }
      const isNew = !(thread?.seenAnomalies.includes(request.anomaly.id) ?? false);
      const summary: IncidentSummary = {
        ...summarize(thread?.summary, request.anomaly, request.text, request.mention),
        anomalies: (thread?.summary.anomalies ?? 0) + (isNew ? 1 : 0),
      };
      const base: IncidentThread = thread ?? { incidentId: request.incidentId, summary, messages: [], appliedKeys: [], seenAnomalies: [] };
      const message = this.render(request.incidentId, summary);

      let ref: IncidentMessageRef;
      let replyTs: string | undefined;
      if (existing === undefined) {
        const posted = await this.postParent(request.incidentId, request.channel, message);
        ref = { requested: request.channel, channel: posted.channel, ts: posted.ts };
      } else {
        ref = existing;
        await this.update(ref.channel, ref.ts, message);
        replyTs = (await this.reply(ref, renderAnomalyReply(request.anomaly, request.text))).ts;
      }
      const messages = existing === undefined ? [...base.messages, ref] : base.messages;
      await this.refreshOthers(request.incidentId, messages, ref, message);
      await this.options.store.set(request.incidentId, {
        incidentId: request.incidentId,
        summary,
        messages,
        appliedKeys: bounded([...base.appliedKeys, request.idempotencyKey], MAX_KEYS),
        seenAnomalies: bounded(isNew ? [...base.seenAnomalies, request.anomaly.id] : base.seenAnomalies, MAX_ANOMALIES),
      });
      const outcome = existing === undefined ? 'posted' : 'updated';
      this.options.logger.info({ incidentId: request.incidentId, channel: ref.channel, ts: ref.ts, outcome }, 'slack incident message sent');
      return { outcome, channel: ref.channel, ts: ref.ts, ...(replyTs !== undefined ? { replyTs } : {}) };
    });
  }

  /**
   * Records an action taken on the incident: added to the parent's "Actions taken" and posted as a
   * reply in the first thread. Does nothing (returns false) when the incident has no thread yet, or
   * when `idempotencyKey` was applied before.
   */
  recordAction(incidentId: string, line: string, idempotencyKey?: string, buttons?: ActionsBlock): Promise<boolean> {
    return this.withLock(incidentId, async () => {
      const thread = await this.options.store.get(incidentId);
      const first = thread?.messages[0];
      if (thread === undefined || first === undefined) return false;
      if (idempotencyKey !== undefined && thread.appliedKeys.includes(idempotencyKey)) return false;
      const summary = { ...thread.summary, actions: [...thread.summary.actions, line] };
      const message = this.render(incidentId, summary);
      await this.update(first.channel, first.ts, message);
      await this.reply(first, renderActionReply(line, buttons));
      await this.refreshOthers(incidentId, thread.messages, first, message);
      await this.options.store.set(incidentId, {
        ...thread,
        summary,
        appliedKeys: idempotencyKey === undefined ? thread.appliedKeys : bounded([...thread.appliedKeys, idempotencyKey], MAX_KEYS),
      });
      return true;
    });
  }

  /**
   * The incident's thread in `channel`, posting the incident message there first when the incident
   * has none in that channel yet (an approval asked in another channel than the alert).
   */
  ensureThread(incidentId: string, channel: string, anomaly: Anomaly): Promise<PostedMessage> {
    return this.withLock(incidentId, async () => {
      const thread = await this.options.store.get(incidentId);
      const existing = thread === undefined ? undefined : findRef(thread.messages, channel);
      if (existing !== undefined) return { channel: existing.channel, ts: existing.ts };
      const summary = thread?.summary ?? summarize(undefined, anomaly, undefined, undefined);
      const posted = await this.postParent(incidentId, channel, this.render(incidentId, summary));
      const ref = { requested: channel, channel: posted.channel, ts: posted.ts };
      await this.options.store.set(incidentId, {
        incidentId,
        summary,
        messages: [...(thread?.messages ?? []), ref],
        appliedKeys: thread?.appliedKeys ?? [],
        seenAnomalies: thread?.seenAnomalies ?? [anomaly.id],
      });
      return posted;
    });
  }

  /** Posts `message` as a reply in the thread whose parent is `parent`. */
  async reply(parent: PostedMessage, message: SlackMessage): Promise<PostedMessage> {
    const result = await callSlack('chat.postMessage', () =>
      this.options.slack.chat.postMessage({
        channel: parent.channel, thread_ts: parent.ts, text: message.text, blocks: [...message.blocks], unfurl_links: false, unfurl_media: false,
      }),
    );
    return { channel: result.channel ?? parent.channel, ts: requireTs(result.ts, 'chat.postMessage') };
  }

  /** Replaces a message's content in place. */
  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await callSlack('chat.update', () => this.options.slack.chat.update({ channel, ts, text: message.text, blocks: [...message.blocks] }));
  }

  private render(incidentId: string, summary: IncidentSummary): SlackMessage {
    return renderIncidentMessage(incidentId, summary, this.options.incidentButtons?.(incidentId, summary));
  }

  private async postParent(incidentId: string, channel: string, message: SlackMessage): Promise<PostedMessage> {
    const result = await callSlack('chat.postMessage', () =>
      this.options.slack.chat.postMessage({
        channel,
        text: message.text,
        blocks: [...message.blocks],
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: INCIDENT_EVENT_TYPE, event_payload: { incident_id: incidentId } },
      }),
    );
    if (result.channel === undefined) throw new ActionError('server', 'Slack chat.postMessage answered without a channel id');
    return { channel: result.channel, ts: requireTs(result.ts, 'chat.postMessage') };
  }

  /** The same incident's parents in other channels show the same summary; a failure there is not the step's failure. */
  private async refreshOthers(incidentId: string, messages: readonly IncidentMessageRef[], done: IncidentMessageRef, message: SlackMessage): Promise<void> {
    for (const other of messages) {
      if (other.channel === done.channel && other.ts === done.ts) continue;
      try {
        await this.update(other.channel, other.ts, message);
      } catch (error) {
        this.options.logger.warn({ incidentId, channel: other.channel, err: error instanceof Error ? error.message : String(error) }, 'could not update the incident message in another channel');
      }
    }
  }

  private async withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.then(() => undefined, () => undefined);
    this.locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    }
  }
}

/** The thread in `channel`: matched on the name as written (with or without `#`) or on the id. */
function findRef(messages: readonly IncidentMessageRef[], channel: string): IncidentMessageRef | undefined {
  const wanted = channel.replace(/^#/, '');
  return messages.find((m) => m.requested.replace(/^#/, '') === wanted || m.channel === wanted);
}

function bounded<T>(items: readonly T[], max: number): T[] {
  return items.slice(Math.max(0, items.length - max));
}

function requireTs(ts: string | undefined, method: string): string {
  if (ts === undefined) throw new ActionError('server', `Slack ${method} answered without a message ts`);
  return ts;
}
