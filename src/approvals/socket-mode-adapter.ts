import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { InteractionResult } from './approval-types.js';

/**
 * One `interactive` envelope as `@slack/socket-mode`'s `SocketModeClient` emits it: the payload,
 * the envelope id, and `ack` which answers Slack over the same websocket.
 */
export interface SocketModeInteractiveEvent {
  readonly ack: (response?: Record<string, unknown>) => Promise<void>;
  readonly envelope_id?: string;
  readonly body: unknown;
}

/**
 * The part of `SocketModeClient` the adapter uses, so the engine passes the real client and tests
 * pass an emitter. `SocketModeClient` (an EventEmitter) satisfies it as it is.
 */
export interface SocketModeEventSource {
  on(event: 'interactive', listener: (event: SocketModeInteractiveEvent) => void): unknown;
  off(event: 'interactive', listener: (event: SocketModeInteractiveEvent) => void): unknown;
}

/** Where the adapter hands the payloads: the approval service. */
export interface SocketModeInteractionHandler {
  handleSocketModePayload(body: unknown): Promise<InteractionResult>;
}

/**
 * Feeds Socket Mode interactions to the approval service. Each envelope is acknowledged first:
 * Slack wants the ack within 3 seconds and retries otherwise, while the checks (and the group
 * lookups they may need) can take longer. The result goes to `onResult`; errors are logged, never
 * thrown into the websocket client. Returns a function that detaches the listener.
 */
export function attachSocketMode(
  source: SocketModeEventSource,
  handler: SocketModeInteractionHandler,
  logger: Logger,
  onResult?: (result: InteractionResult) => void,
): () => void {
  const listener = (event: SocketModeInteractiveEvent): void => {
    void (async () => {
      try {
        await event.ack();
      } catch (error) {
        logger.warn({ envelopeId: event.envelope_id, err: describeError(error) }, 'could not acknowledge a Socket Mode envelope');
      }
      try {
        const result = await handler.handleSocketModePayload(event.body);
        onResult?.(result);
      } catch (error) {
        logger.error({ envelopeId: event.envelope_id, err: describeError(error) }, 'Socket Mode interaction failed');
      }
    })();
  };
  source.on('interactive', listener);
  return () => {
    source.off('interactive', listener);
  };
}
