import type { ReadableStreamDefaultReader, ReadableStreamReadResult } from 'node:stream/web';
import { MeshwardenError } from '../shared/errors.js';
import { safeError, withoutCredentials } from '../shared/safe-error.js';
import { terminalText } from '../shared/terminal-text.js';

/** How much of a refusal's body is quoted in the error: enough for Alertmanager's reason. */
const QUOTED_BODY_CHARS = 200;

/** Why a delivery to an output failed: `client` (4xx but 408/429) is not retried, the rest is. */
export class OutputError extends MeshwardenError {
  constructor(reason: 'client' | 'server' | 'rate-limited' | 'timeout' | 'unreachable', message: string, cause?: unknown) {
    super(`output-${reason}`, message, { retriable: reason !== 'client', ...(cause !== undefined ? { cause: safeError(cause) } : {}) });
  }
}

/** One POST of an output. */
export interface PostRequest {
  readonly url: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** The output stopping: abandons the request. */
  readonly signal?: AbortSignal;
}

/**
 * POSTs a JSON body and reads the answer. A 2xx is success; anything else, a timeout or a
 * connection error throws an {@link OutputError} that names the URL without credentials or query,
 * the status and the beginning of the answer, escaped; never the request's headers or body.
 */
export async function postJson(request: PostRequest): Promise<void> {
  const where = withoutCredentials(request.url);
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST', body: request.body, signal, redirect: 'error',
      headers: { 'content-type': 'application/json', 'user-agent': 'meshwarden', ...request.headers },
    });
  } catch (error) {
    if (timeout.aborted) throw new OutputError('timeout', `POST ${where}: no answer within ${request.timeoutMs / 1000}s`);
    throw new OutputError('unreachable', `POST ${where}: ${safeError(error).message || 'connection failed'}`, error);
  }
  // The answer is read (so the connection is reused) but only its beginning is kept.
  const text = await readPrefix(response, QUOTED_BODY_CHARS * 4).catch(() => '');
  if (response.ok) return;
  const quoted = text.trim() === '' ? '' : `: ${terminalText(text.trim(), QUOTED_BODY_CHARS)}`;
  const message = `POST ${where}: HTTP ${response.status}${quoted}`;
  const status = response.status;
  if (status === 429) throw new OutputError('rate-limited', message);
  if (status === 408) throw new OutputError('timeout', message);
  throw new OutputError(status >= 400 && status < 500 ? 'client' : 'server', message);
}

/** The first `max` bytes of the body as text; the rest is cancelled, so a huge answer costs nothing. */
async function readPrefix(response: Response, max: number): Promise<string> {
  const body = response.body;
  if (body === null) return '';
  const reader = body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const next: ReadableStreamReadResult<Uint8Array> = await reader.read();
      if (next.done) break;
      chunks.push(next.value);
      size += next.value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}
