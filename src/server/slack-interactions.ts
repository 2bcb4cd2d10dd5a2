import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InteractionResult } from '../approvals/approval-types.js';
import type { HeaderBag } from '../approvals/slack-signature.js';
import type { Logger } from '../shared/logger.js';
import { routeRequests, type HttpRoute } from './http-server.js';

/**
 * Interaction payloads carry the message they came from; the engine's own approval and release
 * messages are a few KiB, so 64 KiB leaves room without letting a stranger make the engine buffer more.
 */
export const MAX_INTERACTION_BYTES = 64 * 1024;

/** Where the endpoint hands verified-or-not requests: the approval service. */
export interface SlackInteractionHandler {
  handleInteraction(headers: HeaderBag, rawBody: string | Uint8Array): Promise<InteractionResult>;
}

/** The endpoint's answer, for whichever HTTP server mounts it. */
export interface SlackInteractionResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** What was done, for the caller's logs and tests; never sent to Slack. */
  readonly result: InteractionResult;
}

/**
 * Slack's interactivity request URL as a plain function from (headers, raw body) to a response,
 * so any HTTP server can mount it. The body must be the bytes as received: the signature covers
 * them, so a framework's parsed-and-reserialised body will not verify.
 *
 * Unverifiable requests (unsigned, bad signature, stale) get 401 with no detail: the reason is in
 * the result and the log, not handed to whoever is probing. Verified ones get an empty 200, even
 * when the click is refused (not an approver, already decided): Slack shows an error to the user on
 * anything else, and the refusal is explained in the thread instead.
 */
export function createSlackInteractionsEndpoint(
  handler: SlackInteractionHandler,
): (headers: HeaderBag, rawBody: string | Uint8Array) => Promise<SlackInteractionResponse> {
  return async (headers, rawBody) => {
    const result = await handler.handleInteraction(headers, rawBody);
    const unauthenticated = result.type === 'rejected' && (result.reason === 'unsigned' || result.reason === 'bad-signature' || result.reason === 'stale');
    const malformed = result.type === 'rejected' && result.reason === 'malformed';
    const status = unauthenticated ? 401 : malformed ? 400 : 200;
    return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '', result };
  };
}

/** Where Slack posts interactions; the path the engine's one listener routes to this endpoint. */
export const SLACK_INTERACTIONS_PATH = '/slack/interactions';

/**
 * The interactions route for the engine's listener: POST only, at most
 * {@link MAX_INTERACTION_BYTES} of body (405 and 413 are answered before the body is read).
 */
export function slackInteractionsRoute(
  endpoint: (headers: HeaderBag, rawBody: string | Uint8Array) => Promise<SlackInteractionResponse>,
  onResult?: (result: InteractionResult) => void,
): HttpRoute {
  return {
    path: SLACK_INTERACTIONS_PATH,
    methods: ['POST'],
    maxBodyBytes: MAX_INTERACTION_BYTES,
    handle: async (req, body) => {
      const response = await endpoint(req.headers, body);
      onResult?.(response.result);
      return { status: response.status, headers: response.headers, body: response.body };
    },
  };
}

/**
 * Mounts the endpoint alone on a server created elsewhere, through the same router the engine's
 * listener uses: the same method check and body limit, answered before the body is read.
 */
export function slackInteractionsListener(
  endpoint: (headers: HeaderBag, rawBody: string | Uint8Array) => Promise<SlackInteractionResponse>,
  logger: Logger,
  onResult?: (result: InteractionResult) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return routeRequests([slackInteractionsRoute(endpoint, onResult)], logger);
}
