import { createHmac, randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for Slack: the Web API methods meshwarden calls, answered the way Slack
 * answers them (HTTP 200 with `{ ok, error }`, ids for channels, `ts` per message), and the other
 * direction, interaction payloads signed exactly as Slack signs them. The real `@slack/web-api`
 * WebClient talks to it through `slackApiUrl`.
 *
 * Signing follows Slack's "Verifying requests from Slack": `X-Slack-Request-Timestamp` is the Unix
 * time in seconds, and `X-Slack-Signature` is `v0=` + hex HMAC-SHA256, keyed by the signing secret,
 * of `v0:<timestamp>:<raw body>`. It is implemented here on its own, not borrowed from the code under
 * test, so a mistake there cannot cancel out.
 */
export interface SlackTestServerOptions {
  readonly botToken: string;
  readonly signingSecret: string;
  /** Channel name (without `#`) to id. */
  readonly channels?: Readonly<Record<string, string>>;
  /** User group id to member user ids, for `usergroups.users.list`. */
  readonly usergroups?: Readonly<Record<string, readonly string[]>>;
  /** Epoch ms for message ts, click times and signatures; tests with a manual clock pass theirs. */
  readonly now?: () => number;
  readonly teamId?: string;
}

/** A message as the server keeps it. */
export interface StoredMessage {
  readonly channel: string;
  readonly ts: string;
  readonly threadTs?: string;
  text: string;
  blocks: unknown[];
  readonly metadata?: unknown;
  edited?: { readonly ts: string };
  updates: number;
}

/** One Web API call, as received and answered. */
export interface RecordedCall {
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** The bearer token matched. */
  readonly authorized: boolean;
  readonly status: number;
  readonly response: Readonly<Record<string, unknown>>;
}

/** A request ready to POST to an interactivity URL. */
export interface SignedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Options for signing: override the time, the secret, or leave the signature off. */
export interface SignOptions {
  readonly timestampSec?: number;
  readonly signingSecret?: string;
  readonly unsigned?: boolean;
}

/** Which button to click, on which message, as whom. */
export interface ClickOptions {
  readonly user: string;
  readonly channel: string;
  readonly ts: string;
  readonly actionId: string;
  /** Click time in epoch ms; defaults to now. */
  readonly at?: number;
}

const BOT_USER = 'U0MESHBOT';
const BOT_ID = 'B0MESHBOT';
const APP_ID = 'A0MESHWARDEN';

/** Starts the server on a free loopback port. */
export async function startSlackTestServer(options: SlackTestServerOptions): Promise<SlackTestServer> {
  const server = new SlackTestServer(options);
  await server.listen();
  return server;
}

/** See {@link startSlackTestServer}. */
export class SlackTestServer {
  readonly calls: RecordedCall[] = [];
  private readonly server: Server;
  private readonly messages: StoredMessage[] = [];
  private readonly failures = new Map<string, string[]>();
  private readonly holds = new Map<string, { arrived(): void; released: Promise<void> }>();
  private readonly channels: Readonly<Record<string, string>>;
  private readonly now: () => number;
  private readonly teamId: string;
  private sequence = 0;
  private port = 0;

  constructor(private readonly options: SlackTestServerOptions) {
    this.channels = options.channels ?? { 'soc-alerts': 'C0ALERTS', 'soc-approvals': 'C0APPROVALS' };
    this.now = options.now ?? (() => Date.now());
    this.teamId = options.teamId ?? 'T0MESHWARDEN';
    this.server = createServer((req, res) => {
      this.handle(req, res);
    });
  }

  /** The base URL to give the WebClient as `slackApiUrl`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => {
      resolve();
    }));
  }

  /** Calls of one method, oldest first. */
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Top-level messages in a channel (by id), oldest first. */
  channelMessages(channel: string): StoredMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === undefined);
  }

  /** Replies in the thread of `ts`, oldest first. */
  replies(channel: string, ts: string): StoredMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === ts);
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** The id Slack would give a channel name. */
  channelId(name: string): string | undefined {
    return this.channels[name.replace(/^#/, '')];
  }

  /**
   * Holds every call of `method` unanswered until `release()`: a slow Slack. `reached` resolves when
   * the first held call arrives.
   */
  hold(method: string): { readonly reached: Promise<void>; release(): void } {
    let arrived: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => { arrived = resolve; });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => { release = resolve; });
    this.holds.set(method, { arrived, released });
    return {
      reached,
      release: () => {
        this.holds.delete(method);
        release();
      },
    };
  }

  /** Makes the next `times` calls of `method` fail with Slack error `error` (`ratelimited` answers 429). */
  failNext(method: string, error: string, times = 1): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...Array.from({ length: times }, () => error)]);
  }

  /**
   * The `block_actions` payload Slack sends when `user` clicks the button `actionId` on a message
   * the engine posted: the button's block id and value are read from the stored message.
   */
  clickPayload(click: ClickOptions): Record<string, unknown> {
    const message = this.message(click.channel, click.ts);
    if (message === undefined) throw new Error(`no message ${click.channel}/${click.ts}`);
    const found = findButton(message.blocks, click.actionId);
    if (found === undefined) throw new Error(`message ${click.ts} has no button ${click.actionId}`);
    const at = click.at ?? this.now();
    const channelName = Object.entries(this.channels).find(([, id]) => id === click.channel)?.[0] ?? 'unknown';
    return {
      type: 'block_actions',
      user: { id: click.user, username: click.user.toLowerCase(), name: click.user.toLowerCase(), team_id: this.teamId },
      api_app_id: APP_ID,
      token: 'legacy-verification-token',
      container: {
        type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false,
        ...(message.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
      },
      trigger_id: `${++this.sequence}.${this.teamId}.${randomBytes(8).toString('hex')}`,
      team: { id: this.teamId, domain: 'meshwarden-test' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: message.channel, name: channelName },
      message: {
        type: 'message', user: BOT_USER, bot_id: BOT_ID, app_id: APP_ID, text: message.text, blocks: message.blocks, ts: message.ts,
        ...(message.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
      },
      state: { values: {} },
      response_url: `https://hooks.slack.com/actions/${this.teamId}/${this.sequence}/${randomBytes(12).toString('hex')}`,
      actions: [{ ...found, type: 'button', action_ts: slackTs(at, this.sequence) }],
    };
  }

  /**
   * Encodes a payload as Slack posts it (`application/x-www-form-urlencoded`, one `payload` field
   * holding the JSON) and signs it.
   */
  signInteraction(payload: unknown, options: SignOptions = {}): SignedRequest {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (options.unsigned === true) return { headers, body };
    const timestamp = String(options.timestampSec ?? Math.floor(this.now() / 1000));
    headers['x-slack-request-timestamp'] = timestamp;
    headers['x-slack-signature'] = slackSignature(options.signingSecret ?? this.options.signingSecret, timestamp, body);
    return { headers, body };
  }

  /** POSTs a signed (or deliberately broken) interaction request to the engine's URL. */
  async deliver(url: string, signed: SignedRequest): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { ...signed.headers, 'content-length': Buffer.byteLength(signed.body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.on('error', reject);
      req.end(signed.body);
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').replace(/\?.*$/, '');
      const held = this.holds.get(method);
      if (held !== undefined) {
        held.arrived();
        void held.released.then(() => { this.respond(req, res, method, chunks); });
        return;
      }
      this.respond(req, res, method, chunks);
    });
  }

  private respond(req: IncomingMessage, res: ServerResponse, method: string, chunks: Buffer[]): void {
    const params = parseParams(req.headers['content-type'], Buffer.concat(chunks).toString('utf8'));
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? (typeof params['token'] === 'string' ? params['token'] : undefined);
    const authorized = bearer === this.options.botToken;
    const { status, response, headers } = this.answer(method, params, bearer, authorized);
    this.calls.push({ method, params, authorized, status, response });
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(response));
  }

  private answer(
    method: string, params: Record<string, unknown>, bearer: string | undefined, authorized: boolean,
  ): { status: number; response: Record<string, unknown>; headers?: Record<string, string> } {
    if (bearer === undefined) return { status: 200, response: { ok: false, error: 'not_authed' } };
    if (!authorized) return { status: 200, response: { ok: false, error: 'invalid_auth' } };
    const failure = this.failures.get(method)?.shift();
    if (failure === 'ratelimited') return { status: 429, response: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } };
    if (failure !== undefined) return { status: 200, response: { ok: false, error: failure } };
    const ok = (body: Record<string, unknown>): { status: number; response: Record<string, unknown> } => ({ status: 200, response: { ok: true, ...body } });
    const fail = (error: string): { status: number; response: Record<string, unknown> } => ({ status: 200, response: { ok: false, error } });
    switch (method) {
      case 'auth.test':
        return ok({ url: 'https://meshwarden-test.slack.com/', team: 'meshwarden-test', user: 'meshwarden', team_id: this.teamId, user_id: BOT_USER, bot_id: BOT_ID });
      case 'chat.postMessage': {
        const channel = this.resolveChannel(params['channel'], true);
        if (channel === undefined) return fail('channel_not_found');
        const text = typeof params['text'] === 'string' ? params['text'] : '';
        const blocks = Array.isArray(params['blocks']) ? params['blocks'] : [];
        if (text === '' && blocks.length === 0) return fail('no_text');
        const threadTs = typeof params['thread_ts'] === 'string' ? params['thread_ts'] : undefined;
        if (threadTs !== undefined && this.message(channel, threadTs) === undefined) return fail('thread_not_found');
        const message: StoredMessage = {
          channel, ts: slackTs(this.now(), ++this.sequence), text, blocks, updates: 0,
          ...(threadTs !== undefined ? { threadTs } : {}),
          ...(params['metadata'] !== undefined ? { metadata: params['metadata'] } : {}),
        };
        this.messages.push(message);
        return ok({ channel, ts: message.ts, message: wire(message) });
      }
      case 'chat.update': {
        // Like Slack, chat.update takes a channel id only, not a name.
        const channel = this.resolveChannel(params['channel'], false);
        if (channel === undefined) return fail('channel_not_found');
        const message = typeof params['ts'] === 'string' ? this.message(channel, params['ts']) : undefined;
        if (message === undefined) return fail('message_not_found');
        if (typeof params['text'] === 'string') message.text = params['text'];
        if (Array.isArray(params['blocks'])) message.blocks = params['blocks'];
        message.edited = { ts: slackTs(this.now(), ++this.sequence) };
        message.updates += 1;
        return ok({ channel, ts: message.ts, text: message.text, message: wire(message) });
      }
      case 'conversations.replies': {
        const channel = this.resolveChannel(params['channel'], false);
        if (channel === undefined) return fail('channel_not_found');
        const ts = typeof params['ts'] === 'string' ? params['ts'] : '';
        const parent = this.message(channel, ts);
        if (parent === undefined) return fail('thread_not_found');
        return ok({ messages: [parent, ...this.replies(channel, ts)].map(wire), has_more: false });
      }
      case 'usergroups.users.list': {
        const group = typeof params['usergroup'] === 'string' ? params['usergroup'] : '';
        const users = this.options.usergroups?.[group];
        return users === undefined ? fail('no_such_subteam') : ok({ users: [...users] });
      }
      default:
        return fail('unknown_method');
    }
  }

  private resolveChannel(value: unknown, acceptName: boolean): string | undefined {
    if (typeof value !== 'string') return undefined;
    if (Object.values(this.channels).includes(value)) return value;
    return acceptName ? this.channels[value.replace(/^#/, '')] : undefined;
  }
}

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>` under the signing secret. */
export function slackSignature(signingSecret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** A Slack timestamp: Unix seconds, a dot, six digits that keep it unique. */
function slackTs(ms: number, sequence: number): string {
  return `${Math.floor(ms / 1000)}.${String(sequence % 1_000_000).padStart(6, '0')}`;
}

/** A message as the Web API returns it. */
function wire(message: StoredMessage): Record<string, unknown> {
  return {
    type: 'message', user: BOT_USER, bot_id: BOT_ID, app_id: APP_ID, text: message.text, blocks: message.blocks, ts: message.ts,
    ...(message.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
    ...(message.metadata !== undefined ? { metadata: message.metadata } : {}),
    ...(message.edited !== undefined ? { edited: { user: BOT_USER, ts: message.edited.ts } } : {}),
  };
}

/**
 * The WebClient sends form fields, JSON-encoding the structured ones (blocks, metadata); a JSON body
 * is accepted too, as Slack does.
 */
function parseParams(contentType: string | undefined, body: string): Record<string, unknown> {
  if (contentType?.startsWith('application/json') === true) {
    const parsed = JSON.parse(body === '' ? '{}' : body) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  }
  const params: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    params[key] = ['blocks', 'attachments', 'metadata'].includes(key) ? parseJson(value) : value;
  }
  return params;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function findButton(blocks: readonly unknown[], actionId: string): Record<string, unknown> | undefined {
  for (const block of blocks) {
    if (!isRecord(block) || block['type'] !== 'actions' || !Array.isArray(block['elements'])) continue;
    for (const element of block['elements'] as unknown[]) {
      if (isRecord(element) && element['action_id'] === actionId) {
        return {
          action_id: actionId,
          block_id: block['block_id'],
          text: element['text'],
          value: element['value'],
          ...(element['style'] !== undefined ? { style: element['style'] } : {}),
        };
      }
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
