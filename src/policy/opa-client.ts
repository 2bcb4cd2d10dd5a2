import { z } from 'zod';
import { MeshwardenError } from '../shared/errors.js';

/** At most this many reasons of a decision are kept; the rest are counted in one last line. */
export const MAX_REASONS = 8;
/** Each reason is cut to this many characters. */
export const MAX_REASON_CHARS = 300;
/** A larger answer is malformed: a decision is a boolean and a few sentences. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The decision document a policy returns at its path: `{"allow": bool, "reasons": [string]}`.
 * Strict: an unknown key means the policy and the engine disagree on the contract, and an answer
 * the engine does not fully understand is a deny.
 */
export const policyDecisionSchema = z
  .object({
    allow: z.boolean(),
    reasons: z.array(z.string()).default([]),
  })
  .strict();

/** A decision as the engine keeps it: reasons capped in number and length. */
export interface PolicyDecision {
  readonly allow: boolean;
  readonly reasons: readonly string[];
}

/** OPA's Data API answer; `result` is absent when nothing is defined at the path. */
const dataResponseSchema = z.object({ result: z.unknown().optional() }).loose();

/** Why the policy gave no usable decision. */
export type PolicyErrorCode = 'policy-unreachable' | 'policy-timeout' | 'policy-status' | 'policy-malformed' | 'policy-undefined';

/**
 * The policy could not be asked or its answer could not be used. `retriable` marks the failures of
 * reaching OPA (unreachable, timeout, a 5xx), which a playbook may choose to fail open on; an
 * answer that arrived but is not a decision is never retriable, and always a deny.
 */
export class PolicyError extends MeshwardenError {}

/** Where OPA is and how long to wait for it. */
export interface OpaClientOptions {
  /** Base URL of the OPA server, e.g. `http://127.0.0.1:8181`. */
  readonly url: string;
  /** Package path of the decision, slash-separated, e.g. `meshwarden/decision`. */
  readonly path: string;
  readonly timeoutMs: number;
}

/** What asks the policy: OPA's Data API, or anything answering the same way in tests. */
export interface PolicyClient {
  /** Returns the decision, or throws {@link PolicyError}. */
  decide(input: unknown): Promise<PolicyDecision>;
  /** `POST <url>/v1/data/<path>`, for messages. */
  readonly endpoint: string;
}

/** A package path: identifiers separated by slashes. */
export const POLICY_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Asks OPA through its REST Data API: `POST /v1/data/<path>` with `{"input": ...}`. The input is
 * sent as JSON data and nothing in it is interpreted here; the answer is parsed with
 * {@link parsePolicyAnswer}. Every failure is a {@link PolicyError}; the caller decides what it means.
 */
export class OpaClient implements PolicyClient {
  readonly endpoint: string;

  constructor(private readonly options: OpaClientOptions) {
    if (!POLICY_PATH.test(options.path)) throw new Error(`policy path ${JSON.stringify(options.path)} is not a package path such as "meshwarden/decision"`);
    this.endpoint = `${options.url.replace(/\/+$/, '')}/v1/data/${options.path}`;
  }

  async decide(input: unknown): Promise<PolicyDecision> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ input }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      });
      text = await readCapped(response);
    } catch (error) {
      if (error instanceof PolicyError) throw error;
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new PolicyError('policy-timeout', `no answer from the policy at ${this.endpoint} within ${this.options.timeoutMs} ms`, { retriable: true, cause: error });
      }
      throw new PolicyError('policy-unreachable', `cannot reach the policy at ${this.endpoint}: ${causeOf(error)}`, { retriable: true, cause: error });
    }
    if (!response.ok) {
      throw new PolicyError('policy-status', `the policy at ${this.endpoint} answered HTTP ${response.status}`, { retriable: response.status >= 500 });
    }
    return parsePolicyAnswer(text, this.endpoint);
  }
}

/**
 * Parses OPA's answer into a decision. Anything but a JSON object whose `result` is exactly
 * `{"allow": bool, "reasons": [string]}` throws: a missing result (no rule defined at the path)
 * as `policy-undefined`, the rest as `policy-malformed`. Reasons are capped, not rejected.
 */
export function parsePolicyAnswer(text: string, endpoint: string): PolicyDecision {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    throw new PolicyError('policy-malformed', `the policy at ${endpoint} answered with something that is not JSON`, { retriable: false });
  }
  const envelope = dataResponseSchema.safeParse(json);
  if (!envelope.success) throw new PolicyError('policy-malformed', `the policy at ${endpoint} answered with something that is not a Data API response`, { retriable: false });
  if (envelope.data.result === undefined) {
    throw new PolicyError('policy-undefined', `the policy at ${endpoint} defines no decision (is the package loaded, and the path right?)`, { retriable: false });
  }
  const decision = policyDecisionSchema.safeParse(envelope.data.result);
  if (!decision.success) {
    const problems = decision.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'result'}: ${i.message}`).join('; ');
    throw new PolicyError('policy-malformed', `the decision of the policy at ${endpoint} is not {"allow": bool, "reasons": [string]} (${problems})`, { retriable: false });
  }
  return { allow: decision.data.allow, reasons: capReasons(decision.data.reasons) };
}

/** At most {@link MAX_REASONS} reasons of at most {@link MAX_REASON_CHARS} characters each. */
export function capReasons(reasons: readonly string[]): string[] {
  const kept = reasons.slice(0, MAX_REASONS).map((reason) => {
    const chars = Array.from(reason);
    return chars.length > MAX_REASON_CHARS ? `${chars.slice(0, MAX_REASON_CHARS - 1).join('')}…` : reason;
  });
  if (reasons.length > MAX_REASONS) kept.push(`(${reasons.length - MAX_REASONS} more reason(s) not shown)`);
  return kept;
}

async function readCapped(response: Response): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new PolicyError('policy-malformed', `the policy's answer is over ${MAX_RESPONSE_BYTES} bytes`, { retriable: false });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `connect ECONNREFUSED 127.0.0.1:8181` rather than undici's bare "fetch failed". */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return message.slice(0, 200);
}
