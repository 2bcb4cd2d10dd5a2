import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { MatcherError } from '../silences/silence-matcher.js';
import { authorProblem, createSilence, MAX_AUTHOR_LENGTH, MAX_COMMENT_LENGTH, type StoredSilence } from '../silences/silence.js';
import type { SilenceActor } from '../silences/silence-record.js';
import { SilenceStoreError } from '../silences/silence-store.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { authenticate, type ConsoleToken } from './console-auth.js';
import type { HttpAnswer, HttpRoute } from './http-server.js';

/** Where the silences are served: `/api/v1/silences`. */
export const CONSOLE_SILENCES_PATH = '/api/v1/silences';

/** 32 matchers of 600 characters, a comment and an author fit in well under 32 KiB. */
const MAX_SILENCE_BODY_BYTES = 32 * 1024;

/** What the service does with a silence the console asks for: store it where every replica reads it, and record it. */
export interface ConsoleSilences {
  add(silence: StoredSilence, actor: SilenceActor): Promise<void>;
  expire(id: string, by: string, actor: SilenceActor): Promise<StoredSilence | undefined>;
  list(): Promise<StoredSilence[]>;
}

/** What the silence routes need. */
export interface ConsoleSilenceRouteDeps {
  readonly tokens: readonly ConsoleToken[];
  readonly silences: ConsoleSilences;
  /** Whether the ledger is open yet: no silence is changed that could not be recorded. */
  readonly canRecord: () => boolean;
  /** Appends a decision record to the service's audit ledger (a refused request is one). */
  readonly record: (data: unknown) => void;
  readonly clock: Clock;
  readonly logger: Logger;
}

const createBodySchema = z.object({
  matchers: z.array(z.string().max(600)).min(1).max(32),
  /** Epoch ms; default: now on the service's clock. */
  startsAt: z.number().int().positive().optional(),
  /** Epoch ms; or `durationMs` from the start. */
  endsAt: z.number().int().positive().optional(),
  durationMs: z.number().int().positive().max(366 * 86_400_000).optional(),
  comment: z.string().min(1).max(MAX_COMMENT_LENGTH),
  author: z.string().max(MAX_AUTHOR_LENGTH).optional(),
}).strict();

const expireBodySchema = z.object({ author: z.string().max(MAX_AUTHOR_LENGTH).optional() }).strict();

const ID = /^[A-Za-z0-9-]{1,64}$/;

function json(status: number, body: unknown): HttpAnswer {
  return { status, type: 'application/json', body: `${JSON.stringify(body)}\n`, headers: { 'cache-control': 'no-store' } };
}

function starting(): HttpAnswer {
  return { status: 503, type: 'application/json', body: `${JSON.stringify({ error: 'the service is still starting; try again in a moment' })}\n`, headers: { 'cache-control': 'no-store', 'retry-after': '5' } };
}

function parseBody<T>(body: Buffer, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(body.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The console API's silences, on the service's listener: `GET /api/v1/silences`, `POST
 * /api/v1/silences` (add) and `POST /api/v1/silences/<id>/expire`. Authenticated like every
 * console request; the silence goes to the service's store (the ConfigMap every replica reads, or
 * its state directory) and into its ledger, naming the token and the identity bound to it beside
 * the author the operator typed, which is theirs to choose and recorded as such. A request from a
 * valid token that is refused (a body, matcher, span or author out of shape; no such silence) is
 * recorded too, as a `console-silence` decision naming the token, so an attempt leaves a trace.
 */
export function consoleSilenceRoute(deps: ConsoleSilenceRouteDeps): HttpRoute {
  const handle = async (req: IncomingMessage, body: Buffer): Promise<HttpAnswer> => {
    const auth = authenticate(req, deps.tokens);
    if (!auth.ok) {
      deps.logger.warn({ method: req.method, status: auth.status }, 'console request refused');
      return { ...json(auth.status, { error: auth.message }), ...(auth.status === 401 ? { headers: { 'cache-control': 'no-store', 'www-authenticate': 'Bearer realm="meshwarden"' } } : {}) };
    }
    const path = new URL(req.url ?? '/', 'http://console.invalid').pathname.slice(CONSOLE_SILENCES_PATH.length);
    const token = auth.token;
    const actor: SilenceActor = { via: `token:${token.name}`, user: token.user };
    deps.logger.info({ token: token.name, method: req.method, resource: 'silences' }, 'console request');
    try {
      if (path === '' || path === '/') {
        if (req.method === 'GET') {
          // The service reads its store once it has started (the same moment its ledger opens).
          if (!deps.canRecord()) return starting();
          return json(200, { items: await deps.silences.list(), notes: [] });
        }
        return await add(body, token, actor);
      }
      const expire = /^\/([^/]+)\/expire$/.exec(path);
      if (expire === null) return json(404, { error: 'no such console resource' });
      if (req.method !== 'POST') return { ...json(405, { error: 'expire with POST' }), headers: { 'cache-control': 'no-store', allow: 'POST' } };
      return await end(decodeURIComponent(expire[1] ?? ''), body, token, actor);
    } catch (error) {
      if (error instanceof URIError) return json(404, { error: 'no such console resource' });
      if (!(error instanceof SilenceStoreError)) throw error;
      deps.logger.error({ err: describeError(error) }, 'a console silence was not stored');
      return json(error.code === 'silences-full' || error.code === 'silence-exists' ? 409 : 503, { error: describeError(error) });
    }
  };

  /** A refused request of a valid token: answered, and recorded once the ledger is open. */
  const refuse = (status: number, error: string, token: ConsoleToken, action: 'add' | 'expire', silenceId?: string): HttpAnswer => {
    if (deps.canRecord()) {
      const refused = { event: 'console-silence', via: `token:${token.name}`, user: token.user, action, ...(silenceId !== undefined ? { silenceId } : {}), result: 'refused', reason: error };
      deps.record(refused);
      deps.logger.warn({ token: token.name, action, status }, 'console silence request refused');
    }
    return json(status, { error });
  };

  const add = async (body: Buffer, token: ConsoleToken, actor: SilenceActor): Promise<HttpAnswer> => {
    const request = parseBody(body, createBodySchema);
    if (request === undefined) {
      return refuse(400, 'the body must be JSON: {"matchers": [...], "comment": "...", and "endsAt" or "durationMs", optionally "startsAt" and "author"}', token, 'add');
    }
    if ((request.endsAt === undefined) === (request.durationMs === undefined)) return refuse(400, 'give endsAt or durationMs, one of them', token, 'add');
    if (!deps.canRecord()) return starting();
    const now = deps.clock.now();
    const startsAt = request.startsAt ?? now;
    let silence: StoredSilence;
    try {
      silence = createSilence({
        matchers: request.matchers, startsAt, endsAt: request.endsAt ?? startsAt + (request.durationMs ?? 0),
        createdBy: request.author ?? `token:${token.name}`, comment: request.comment,
      }, now);
    } catch (error) {
      if (error instanceof MatcherError || error instanceof RangeError) return refuse(400, error.message, token, 'add');
      throw error;
    }
    await deps.silences.add(silence, actor);
    deps.logger.info({ token: token.name, silence: silence.id }, 'silence added from the console');
    return json(201, { silence });
  };

  const end = async (id: string, body: Buffer, token: ConsoleToken, actor: SilenceActor): Promise<HttpAnswer> => {
    if (!ID.test(id)) return refuse(404, 'no such silence', token, 'expire');
    const request = parseBody(body.length === 0 ? Buffer.from('{}') : body, expireBodySchema);
    if (request === undefined) return refuse(400, 'the body must be JSON: {} or {"author": "..."}', token, 'expire', id);
    const by = request.author ?? `token:${token.name}`;
    const problem = authorProblem(by);
    if (problem !== undefined) return refuse(400, problem, token, 'expire', id);
    if (!deps.canRecord()) return starting();
    const expired = await deps.silences.expire(id, by, actor);
    if (expired === undefined) return refuse(404, `no silence ${id}`, token, 'expire', id);
    deps.logger.info({ token: token.name, silence: id }, 'silence expired from the console');
    return json(200, { silence: expired });
  };

  return { path: CONSOLE_SILENCES_PATH, prefix: true, methods: ['GET', 'POST'], maxBodyBytes: MAX_SILENCE_BODY_BYTES, handle };
}
