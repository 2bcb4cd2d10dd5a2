/**
 * The route a request path belongs to: its template, with what varies per request collapsed, so
 * `/v1/users/8812/orders/3f9c...` and `/v1/users/17/orders/a0b1...` are one route
 * (`/v1/users/{n}/orders/{id}`). The path is the client's to choose, so the template is bounded
 * whatever it sends: at most {@link MAX_SEGMENTS} segments (the rest is `/{...}`), each at most
 * {@link MAX_SEGMENT_CHARS} characters of a safe alphabet, else a placeholder.
 */

/** Segments kept; deeper paths end in `/{...}`. */
export const MAX_SEGMENTS = 6;
/** A longer segment is `{long}`. */
export const MAX_SEGMENT_CHARS = 40;
/** Methods kept by name; any other is `OTHER` (a client can send any token as a method). */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);

const NUMBER = /^[+-]?\d+(\.\d+)?$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** Hex of 8+ characters with a digit (hashes, object ids, commit ids). */
const HEX = /^(?=.*\d)[0-9a-f]{8,}$/i;
/** Tokens: 16+ characters of base64/base64url mixing letters and digits (session ids, keys, JWT parts). */
const TOKEN = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-+=]{16,}$/;
/** Words a route is made of (`fraud-detector:predict`, `main.js`): anything else (percent escapes, unicode) is `{x}`. */
const WORD = /^[A-Za-z0-9_\-~.:@]+$/;
/** A content hash inside a segment (`main.4f9c2a71.js`): 8+ hex characters with a digit, between non-alphanumerics. */
const EMBEDDED_HEX = /(?<![A-Za-z0-9])(?=[0-9a-f]*\d)[0-9a-f]{8,}(?![A-Za-z0-9])/gi;

/** Distinct paths whose templates {@link RouteTemplates} remembers; past it, it starts over. */
const MAX_CACHED_PATHS = 4096;
/** The names a route's method can take, `OTHER` last. */
const VERBS: readonly string[] = [...METHODS, 'OTHER'];
const VERB_INDEX = new Map(VERBS.map((verb, i) => [verb, i]));
const OTHER = VERBS.length - 1;

/**
 * {@link routeTemplate} for the lines of a mesh, which serves few paths, each in line after line:
 * a path's template is worked out once, and each `METHOD /template` is one string. Clients choose
 * paths: bounded, emptied when full (a path sprayed once costs what it did without the cache).
 */
export class RouteTemplates {
  /** Per path: its template, then one `METHOD /template` per verb, made when first asked. */
  private readonly byPath = new Map<string, (string | undefined)[]>();

  /**
   * `routeTemplate(method, path)`. `path` is kept: pass one string per distinct path without its
   * query (`PeerNames.pathOf`), not a slice of a log line (the template drops the query anyway).
   */
  of(method: string | undefined, path: string | undefined): string {
    const verb = method === undefined ? OTHER : (VERB_INDEX.get(method) ?? OTHER);
    const key = path ?? '';
    let names = this.byPath.get(key);
    if (names === undefined) {
      if (this.byPath.size >= MAX_CACHED_PATHS) this.byPath.clear();
      names = new Array<string | undefined>(VERBS.length + 1).fill(undefined);
      names[0] = pathTemplate(key);
      this.byPath.set(key, names);
    }
    return (names[verb + 1] ??= `${VERBS[verb] ?? 'OTHER'} ${names[0] ?? '/'}`);
  }
}

/** `METHOD /template` of a request (query string and fragment dropped). */
export function routeTemplate(method: string | undefined, path: string | undefined): string {
  const verb = method !== undefined && METHODS.has(method) ? method : 'OTHER';
  return `${verb} ${pathTemplate(path)}`;
}

/** The template of a path alone (see the module comment). */
export function pathTemplate(path: string | undefined): string {
  if (path === undefined || path === '') return '/';
  let end = path.length;
  const query = path.indexOf('?');
  if (query >= 0) end = query;
  const fragment = path.indexOf('#');
  if (fragment >= 0 && fragment < end) end = fragment;
  const segments: string[] = [];
  let from = path.startsWith('/') ? 1 : 0;
  while (from <= end && segments.length <= MAX_SEGMENTS) {
    let to = path.indexOf('/', from);
    if (to < 0 || to > end) to = end;
    const segment = path.slice(from, to);
    if (segment !== '' || to < end) segments.push(segment);
    from = to + 1;
  }
  const kept = segments.slice(0, MAX_SEGMENTS).map(segmentTemplate);
  return `/${kept.join('/')}${segments.length > MAX_SEGMENTS ? '/{...}' : ''}`;
}

function segmentTemplate(segment: string): string {
  const n = segment.length;
  if (n > MAX_SEGMENT_CHARS) return '{long}';
  if (n === 0) return segment;
  // Each pattern is tried only on a segment it could match: a number starts with a sign or a
  // digit, an id has 8 characters or more, a token 16 (a client spraying paths pays for each).
  const first = segment.charCodeAt(0);
  if (((first >= 48 && first <= 57) || first === 43 || first === 45) && NUMBER.test(segment)) return '{n}';
  if (n >= 8 && (UUID.test(segment) || HEX.test(segment))) return '{id}';
  if (n >= 16 && TOKEN.test(segment)) return '{token}';
  if (!WORD.test(segment)) return '{x}';
  return n >= 8 ? segment.replace(EMBEDDED_HEX, '{id}') : segment;
}
