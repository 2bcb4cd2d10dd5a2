import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InteractionResult } from '../approvals/approval-types.js';
import type { HeaderBag } from '../approvals/slack-signature.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** Interaction payloads carry the whole message they came from; a megabyte is far above any real one. */
export const MAX_INTERACTION_BYTES = 1024 * 1024;

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

/**
 * Mounts an endpoint on Node's own HTTP server: reads the raw body (up to
 * {@link MAX_INTERACTION_BYTES}), answers 405 to anything but POST and 413 to oversized bodies.
 */
export function slackInteractionsListener(
  endpoint: (headers: HeaderBag, rawBody: string | Uint8Array) => Promise<SlackInteractionResponse>,
  logger: Logger,
  onResult?: (result: InteractionResult) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_INTERACTION_BYTES && !refused) {
        refused = true;
        res.writeHead(413, { connection: 'close' }).end();
        req.resume();
      }
      if (!refused) chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      endpoint(req.headers, Buffer.concat(chunks))
        .then((response) => {
          onResult?.(response.result);
          res.writeHead(response.status, response.headers).end(response.body);
        })
        .catch((error: unknown) => {
          logger.error({ err: describeError(error) }, 'slack interaction endpoint failed');
          res.writeHead(500).end();
        });
    });
    req.on('error', (error) => {
      logger.warn({ err: describeError(error) }, 'slack interaction request aborted');
    });
  };
}
