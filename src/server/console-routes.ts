import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { ApprovalService } from '../approvals/approval-service.js';
import type { InteractionResult } from '../approvals/approval-types.js';
import { decideFromConsole } from '../approvals/console-decision.js';
import type { AnyConsoleResource, ListQuery } from '../console/console-resource.js';
import { CONSOLE_RESOURCES } from '../console/console-resources.js';
import { describeError, MeshwardenError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { authenticate, type ConsoleToken } from './console-auth.js';
import { consoleSilenceRoute, type ConsoleSilences } from './console-silence-routes.js';
import type { HttpAnswer, HttpRoute } from './http-server.js';

/** Where the console API is served on the engine's listener. */
export const CONSOLE_API_PREFIX = '/api/v1/';

/** A decision's body is a digest and maybe an identity: 1 KiB is plenty. */
const MAX_DECISION_BYTES = 1024;

/** What the console API answers from. */
export interface ConsoleRouteDeps {
  /** The service's state directory: the ledger, runs and approvals the API reads. */
  readonly stateDir: string;
  readonly tokens: readonly ConsoleToken[];
  /** Approvals, to decide on; without them (Slack disabled) decisions are refused. */
  readonly approvals?: ApprovalService;
  /** Appends a decision record to the service's audit ledger. */
  readonly record: (data: unknown) => void;
  /** Whether the ledger is open yet: no decision is taken that could not be recorded. */
  readonly canRecord: () => boolean;
  readonly logger: Logger;
  readonly resources?: readonly AnyConsoleResource[];
  /** Silences, to list, add and expire at `/api/v1/silences` (see console-silence-routes.ts). */
  readonly silences?: ConsoleSilences;
  /** The clock a silence's default start is read from. */
  readonly clock?: Clock;
}

const decisionBodySchema = z.object({ binding: z.string().min(1).max(128), as: z.string().max(64).optional() }).strict();

function json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): HttpAnswer {
  return { status, type: 'application/json', body: `${JSON.stringify(body)}\n`, headers: { 'cache-control': 'no-store', ...headers } };
}

function listQuery(url: URL): ListQuery | string {
  const limitText = url.searchParams.get('limit') ?? '50';
  const limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : 0;
  if (limit < 1 || limit > 1000) return 'limit must be a whole number from 1 to 1000';
  const sinceText = url.searchParams.get('since');
  if (sinceText === null) return { limit };
  const since = /^\d{1,16}$/.test(sinceText) ? Number(sinceText) : Number.NaN;
  return Number.isNaN(since) ? 'since must be a time in epoch milliseconds' : { limit, since };
}

function summarize(result: InteractionResult): string {
  switch (result.type) {
    case 'rejected': return `refused: ${result.reason}`;
    case 'approved-by': return `counted (${result.approvals} of ${result.required})`;
    case 'decided': return result.decision.outcome;
    default: return result.type;
  }
}

/**
 * The console API, under {@link CONSOLE_API_PREFIX}: `GET <resource>` and `GET <resource>/<id>`
 * for every console resource, `POST approvals/<id>/approve|deny`, and with `silences` the
 * silences (console-silence-routes.ts). Every request is
 * authenticated before anything else is looked at; the identity a decision is made as is the one
 * bound to the token, never a value the client sends. Each decision, refused or not, is recorded
 * in the audit ledger with the token's name.
 */
export function consoleRoutes(deps: ConsoleRouteDeps): HttpRoute[] {
  const resources = new Map((deps.resources ?? CONSOLE_RESOURCES).map((r) => [r.name, r]));
  const handle = async (req: IncomingMessage, body: Buffer): Promise<HttpAnswer> => {
    const auth = authenticate(req, deps.tokens);
    if (!auth.ok) {
      deps.logger.warn({ method: req.method, status: auth.status }, 'console request refused');
      return json(auth.status, { error: auth.message }, auth.status === 401 ? { 'www-authenticate': 'Bearer realm="meshwarden"' } : {});
    }
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const parts = url.pathname.slice(CONSOLE_API_PREFIX.length).split('/').map((p) => { try { return decodeURIComponent(p); } catch { return '\u0000'; } });
    const [name = '', id, verb, ...rest] = parts;
    const resource = resources.get(name);
    if (resource === undefined || rest.length > 0 || id === '' || verb === '' || parts.some((p) => p.includes('\u0000'))) return json(404, { error: 'no such console resource' });
    deps.logger.info({ token: auth.token.name, method: req.method, resource: name }, 'console request');
    try {
      if (verb !== undefined) {
        if (name !== 'approvals' || id === undefined || (verb !== 'approve' && verb !== 'deny')) return json(404, { error: 'no such console resource' });
        if (req.method !== 'POST') return json(405, { error: 'decide with POST' }, { allow: 'POST' });
        return await decide(id, verb, body, auth.token);
      }
      if (req.method !== 'GET') return json(405, { error: 'read with GET' }, { allow: 'GET' });
      if (id === undefined) {
        const query = listQuery(url);
        if (typeof query === 'string') return json(400, { error: query });
        return json(200, await resource.list(deps.stateDir, query));
      }
      const item = await resource.show(deps.stateDir, id);
      return item === undefined ? json(404, { error: `no ${resource.singular} ${id}` }) : json(200, item);
    } catch (error) {
      if (!(error instanceof MeshwardenError)) throw error;
      deps.logger.error({ err: describeError(error), resource: name }, 'console request failed');
      return json(500, { error: describeError(error) });
    }
  };

  const decide = async (id: string, verb: 'approve' | 'deny', body: Buffer, token: ConsoleToken): Promise<HttpAnswer> => {
    let parsed;
    try {
      parsed = decisionBodySchema.safeParse(JSON.parse(body.toString('utf8')));
    } catch {
      return json(400, { error: 'the body must be JSON: {"binding": "<from approvals show>"}' });
    }
    if (!parsed.success) return json(400, { error: 'the body must be {"binding": "<from approvals show>"} and, optionally, "as"' });
    if (!deps.canRecord()) return json(503, { error: 'the service is still starting; try again in a moment' }, { 'retry-after': '5' });
    const base = { event: 'console-vote', via: `token:${token.name}`, approvalId: id, user: token.user, verdict: verb };
    if (parsed.data.as !== undefined && parsed.data.as !== token.user) {
      const refused = { ...base, result: 'refused: wrong-identity', reason: `asked to act as ${parsed.data.as}` };
      deps.record(refused);
      deps.logger.warn(refused, 'console decision refused');
      return json(403, { error: `your token acts as ${token.user}, not ${parsed.data.as}` });
    }
    const approvals = deps.approvals;
    if (approvals === undefined) return json(409, { error: 'approvals are not enabled on this service (slack.enabled is false): approval steps deny by default' });
    const held = approvals.get(id);
    const result = await decideFromConsole(approvals, { approvalId: id, user: token.user, verdict: verb, binding: parsed.data.binding });
    const recorded = {
      ...base, ...(held ? { incidentId: held.incidentId, playbook: held.playbook, ...(held.runId !== undefined ? { runId: held.runId } : {}) } : {}),
      result: summarize(result), ...(result.type === 'rejected' ? { reason: result.detail } : {}),
    };
    deps.record(recorded);
    deps.logger.info(recorded, 'console decision');
    return json(200, { result });
  };

  const silences = deps.silences === undefined ? [] : [consoleSilenceRoute({
    tokens: deps.tokens, silences: deps.silences, canRecord: deps.canRecord, record: deps.record, clock: deps.clock ?? systemClock, logger: deps.logger,
  })];
  return [{ path: CONSOLE_API_PREFIX, prefix: true, methods: ['GET', 'POST'], maxBodyBytes: MAX_DECISION_BYTES, handle }, ...silences];
}
