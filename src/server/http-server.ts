import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** What a route answers. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string | Buffer;
  readonly type?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One URL the server answers. The router checks the method and the declared size before a single
 * byte of the body is read, so an unknown URL or an oversized body costs the engine nothing.
 */
export interface HttpRoute {
  /** The path answered; with `prefix`, every path under it too (`/api/v1/` answers `/api/v1/incidents/x`). */
  readonly path: string;
  readonly prefix?: boolean;
  readonly methods: readonly string[];
  /** Largest body accepted, in bytes; 0 means the route takes no body at all. */
  readonly maxBodyBytes: number;
  readonly handle: (req: IncomingMessage, body: Buffer) => Promise<HttpAnswer>;
}

/** Connection limits: how long and how much a client may take before it is cut off. */
export interface HttpLimits {
  /** Time allowed to send the request line and headers (slow-header clients are closed after it). */
  readonly headersTimeoutMs: number;
  /** Time allowed to send the whole request, body included. */
  readonly requestTimeoutMs: number;
  /** Largest request line plus headers, in bytes. */
  readonly maxHeaderBytes: number;
}

/** Health probes and Prometheus send a handful of headers; 16 KiB is Node's own default. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxHeaderBytes: 16 * 1024 };

/**
 * How long a refused client's connection stays open after the answer was sent, so the answer
 * reaches it before the socket closes; whatever it streams meanwhile is discarded, not kept.
 */
const REFUSAL_GRACE_MS = 250;

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * The engine's one HTTP listener. It routes on the request line and headers only: a request for an
 * unknown path gets 404, a wrong method 405, a body larger than the route allows 413, each answered
 * before the body is read, after which the connection is closed so the client cannot keep streaming.
 * A body the route accepts is read up to its limit and no further.
 */
export function createHttpServer(routes: readonly HttpRoute[], logger: Logger, limits: HttpLimits = DEFAULT_HTTP_LIMITS): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // Node checks the two timeouts on this interval (30 s by default): check often enough that
      // a slow-header client is cut off close to the limit.
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    routeRequests(routes, logger),
  );
  server.on('clientError', (error, socket) => {
    // Header timeouts, oversized or malformed headers: answer when the socket still can, then close.
    const code = (error as NodeJS.ErrnoException).code;
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    const timer = setTimeout(() => { socket.destroy(); }, REFUSAL_GRACE_MS);
    timer.unref();
  });
  return server;
}

/**
 * The router on its own, for mounting on a server created elsewhere: method, path and declared
 * size are checked before the body is read, and a body is read only up to its route's limit.
 */
export function routeRequests(routes: readonly HttpRoute[], logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  const byPath = new Map(routes.filter((route) => route.prefix !== true).map((route) => [route.path, route]));
  const prefixes = routes.filter((route) => route.prefix === true).sort((a, b) => b.path.length - a.path.length);
  return (req, res) => {
    const path = pathOf(req.url);
    const route = byPath.get(path) ?? prefixes.find((r) => path.startsWith(r.path));
    if (route === undefined) {
      refuse(req, res, 404, 'not found');
      return;
    }
    if (!route.methods.includes(req.method ?? '')) {
      refuse(req, res, 405, 'method not allowed', { allow: route.methods.join(', ') });
      return;
    }
    if (declaredBodyBytes(req) > route.maxBodyBytes) {
      refuse(req, res, 413, 'request body too large');
      return;
    }
    readBody(req, route.maxBodyBytes)
      .then(async (body) => {
        if (body === undefined) {
          refuse(req, res, 413, 'request body too large');
          return;
        }
        const answer = await route.handle(req, body);
        res.writeHead(answer.status, { 'content-type': answer.type ?? 'text/plain; charset=utf-8', ...answer.headers }).end(answer.body);
      })
      .catch((error: unknown) => {
        logger.error({ err: describeError(error), path: route.path }, 'an HTTP request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error\n');
        else res.destroy();
      });
  };
}

/** The path of a request target, without its query string (`/readyz?verbose` is `/readyz`). */
function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/**
 * The body size the client announced: its Content-Length, or unbounded for a chunked body (its
 * size is only known by reading it). A request with neither has no body.
 */
function declaredBodyBytes(req: IncomingMessage): number {
  const length = req.headers['content-length'];
  if (length !== undefined) {
    const bytes = Number(length);
    return Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : Number.POSITIVE_INFINITY;
  }
  return req.headers['transfer-encoding'] !== undefined ? 1 : 0;
}

/** Reads at most `max` bytes of body; undefined when the client sends more (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => { resolve(Buffer.concat(chunks, size)); });
    req.once('error', reject);
  });
}

/**
 * Answers without reading the body, then closes the connection once the answer has had time to
 * reach the client. Not with `connection: close`: Node would then close the socket the moment the
 * answer is written, and closing a socket with unread input resets it, so the client, still
 * uploading, loses the answer. Meanwhile the unread body is discarded as it arrives (never kept),
 * for at most {@link REFUSAL_GRACE_MS}.
 */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, text: string, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`, () => {
    const timer = setTimeout(() => { req.socket.destroy(); }, REFUSAL_GRACE_MS);
    timer.unref();
  });
}
