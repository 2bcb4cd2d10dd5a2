import type { IncomingMessage } from 'node:http';
import { tokensEqual } from '../approvals/binding-token.js';
import type { Secret } from '../shared/secret.js';

/** A console token and the identity it is bound to. */
export interface ConsoleToken {
  /** Names the token in logs and the ledger (`alice-laptop`); never the token itself. */
  readonly name: string;
  /** The Slack user id the holder acts as: what approval allow-lists are checked against. */
  readonly user: string;
  readonly secret: Secret;
}

/** Who a request is, or why it is refused. */
export type Authentication =
  | { readonly ok: true; readonly token: ConsoleToken }
  | { readonly ok: false; readonly status: 400 | 401; readonly message: string };

/** The shortest console token accepted: 32 characters (`openssl rand -hex 32` gives 64). */
export const MIN_CONSOLE_TOKEN_LENGTH = 32;

/** Query parameters that carry credentials in other APIs: refused here, whatever their value. */
const CREDENTIAL_PARAMETERS = /^(access_token|token|bearer|auth|authorization|api[_-]?key|key|password|secret)$/i;
/** RFC 6750's b64token, bounded: a header longer than any real token is refused unread. */
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]{1,512}=*)$/;

/**
 * Authenticates a console request by its `Authorization: Bearer` header only. A credential in the
 * query string is refused outright (400), even next to a valid header: URLs end up in proxy logs,
 * shell history and browser history. The presented token is compared with every configured token
 * in constant time (hashed first, so length leaks nothing) and without stopping at a match, so the
 * time taken does not say which token, or how much of one, was right.
 */
export function authenticate(req: IncomingMessage, tokens: readonly ConsoleToken[]): Authentication {
  const url = new URL(req.url ?? '/', 'http://console.invalid');
  for (const name of url.searchParams.keys()) {
    if (CREDENTIAL_PARAMETERS.test(name)) return { ok: false, status: 400, message: 'credentials are accepted only in the Authorization header, never in the URL' };
  }
  const header = req.headers.authorization;
  const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
  if (presented === undefined) return { ok: false, status: 401, message: 'a console token is required: Authorization: Bearer <token>' };
  let matched: ConsoleToken | undefined;
  for (const token of tokens) {
    if (tokensEqual(presented, token.secret.reveal()) && matched === undefined) matched = token;
  }
  return matched === undefined ? { ok: false, status: 401, message: 'the console token is not valid' } : { ok: true, token: matched };
}
