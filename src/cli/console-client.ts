import { readFile } from 'node:fs/promises';
import { MeshwardenError } from '../shared/errors.js';
import { Secret } from '../shared/secret.js';

/** The console API's base path on the service's HTTP listener. */
export const CONSOLE_API_PATH = '/api/v1';

/** Largest answer the CLI reads from the service. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

/** The service refused, or could not be asked. */
export class ConsoleClientError extends MeshwardenError {}

/** An answer of the service: its status and its JSON body. */
export interface ConsoleAnswer {
  readonly status: number;
  readonly body: unknown;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Talks to the service's console API with a bearer token read from a file. Plain `http://` is
 * refused except to a loopback address (`kubectl port-forward`): the token would cross the network
 * in the clear. The token goes in the Authorization header only, never in a URL.
 */
export class ConsoleClient {
  private constructor(private readonly base: URL, private readonly token: Secret) {}

  static async open(server: string, tokenFile: string): Promise<ConsoleClient> {
    let base: URL;
    try {
      base = new URL(server);
    } catch {
      throw new ConsoleClientError('usage', `--server ${JSON.stringify(server)} is not a URL (e.g. https://meshwarden.example:8080 or http://127.0.0.1:8080)`);
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new ConsoleClientError('usage', `--server must be an http(s) URL, not ${base.protocol}`);
    if (base.protocol === 'http:' && !LOOPBACK.has(base.hostname)) {
      throw new ConsoleClientError('usage', `--server ${base.origin} is plain HTTP to another machine: the token would cross the network in the clear; use https, or kubectl port-forward and http://127.0.0.1`);
    }
    if (base.username !== '' || base.password !== '' || base.search !== '') throw new ConsoleClientError('usage', '--server must not carry credentials or a query string; the token comes from --token-file');
    let text: string;
    try {
      text = await readFile(tokenFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConsoleClientError('usage', code === 'ENOENT' ? `--token-file ${tokenFile} does not exist` : `cannot read --token-file ${tokenFile} (${code ?? 'unknown error'})`);
    }
    const token = text.trim();
    if (token === '' || /\s/.test(token)) throw new ConsoleClientError('usage', `--token-file ${tokenFile} must hold one token on one line`);
    return new ConsoleClient(base, new Secret(token));
  }

  /** GET `<api>/<path>`; `query` values are plain parameters (never credentials). */
  get(path: string, query: Readonly<Record<string, string>> = {}): Promise<ConsoleAnswer> {
    return this.call('GET', path, query);
  }

  post(path: string, body: unknown): Promise<ConsoleAnswer> {
    return this.call('POST', path, {}, body);
  }

  private async call(method: string, path: string, query: Readonly<Record<string, string>>, body?: unknown): Promise<ConsoleAnswer> {
    const url = new URL(`${this.base.pathname.replace(/\/$/, '')}${CONSOLE_API_PATH}/${path}`, this.base);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.token.reveal()}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause?.code;
      throw new ConsoleClientError('service-unreachable', `cannot reach ${this.base.origin} (${typeof cause === 'string' ? cause : error instanceof Error ? error.name : 'unknown error'})`);
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_ANSWER_BYTES) throw new ConsoleClientError('service-answer', `the service's answer is too large (${declared} bytes)`);
    const text = await response.text();
    if (text.length > MAX_ANSWER_BYTES) throw new ConsoleClientError('service-answer', 'the service\'s answer is too large');
    if (response.status === 401) throw new ConsoleClientError('unauthorized', `${this.base.origin} refused the token (401): check --token-file`);
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ConsoleClientError('service-answer', `${this.base.origin} answered ${response.status} with something that is not JSON: is --server the meshwarden service?`);
    }
    return { status: response.status, body: parsed };
  }
}

/** The `error` sentence of a refusal, or a generic one. */
export function answerError(answer: ConsoleAnswer): string {
  const body = answer.body;
  const message = typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : undefined;
  return message ?? `the service answered ${answer.status}`;
}
