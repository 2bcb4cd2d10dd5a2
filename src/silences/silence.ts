import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Entity } from '../features/entity.js';
import { formatMatcher, matchValue, parseMatchers, type Matcher, type SilenceLabel } from './silence-matcher.js';

/** Silences a store keeps at most: every one is checked for every step. */
export const MAX_SILENCES = 1000;
/** Longest comment and author kept (a Slack user id, a person's name). */
export const MAX_COMMENT_LENGTH = 1024;
export const MAX_AUTHOR_LENGTH = 256;

/**
 * A silence as stored (JSON in a file or a ConfigMap): matchers as written, times as epoch ms.
 * Parsed with this schema whenever it is read back, so a hand-edited store cannot smuggle in
 * anything a silence does not have.
 */
export const storedSilenceSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  matchers: z.array(z.string().max(600)).min(1).max(32),
  startsAt: z.number().int(),
  endsAt: z.number().int(),
  createdBy: z.string().min(1).max(MAX_AUTHOR_LENGTH),
  comment: z.string().max(MAX_COMMENT_LENGTH),
  createdAt: z.number().int(),
  /** Set when someone expired it before its end; `endsAt` is then moved to that time. */
  expiredBy: z.string().max(MAX_AUTHOR_LENGTH).optional(),
}).strict();

/** What a store holds: `{ version: 1, silences: [...] }`. */
export const silenceFileSchema = z.object({
  version: z.literal(1),
  silences: z.array(storedSilenceSchema).max(MAX_SILENCES),
}).strict();

export type StoredSilence = z.infer<typeof storedSilenceSchema>;

/**
 * Characters no author name holds: C0 and C1 controls, DEL, the line and paragraph separators and
 * the bidirectional marks, embeddings, overrides and isolates. A name with them could make its line
 * in a listing or a Slack reply read as something else.
 */
// eslint-disable-next-line no-control-regex -- refusing control characters is this pattern's whole job
const NOT_IN_A_NAME = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
/** The same, except that a comment may span lines and hold tabs. */
// eslint-disable-next-line no-control-regex -- refusing control characters is this pattern's whole job
const NOT_IN_A_COMMENT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Why a name cannot be a silence's author (or who expired it); undefined when it can. */
export function authorProblem(name: string): string | undefined {
  if (name.trim() === '') return 'the author must not be empty';
  if (name.length > MAX_AUTHOR_LENGTH) return `the author is longer than ${MAX_AUTHOR_LENGTH} characters`;
  if (NOT_IN_A_NAME.test(name)) return 'the author must be a name on one line: no control, line-separator or bidirectional characters';
  return undefined;
}

/** A silence with its matchers parsed once: what the gate checks steps against. */
export interface Silence {
  readonly id: string;
  readonly matchers: readonly Matcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

/** What one playbook step is about, as silence matchers see it. */
export interface SilenceSubject {
  readonly detector: string;
  readonly entity: Entity;
  readonly playbook: string;
  readonly action: string;
}

/** What a new silence is made from (the CLI's flags, a Slack click). */
export interface NewSilence {
  readonly matchers: readonly string[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

/**
 * Checks and stamps a new silence: the matchers must parse (every problem reported), the end
 * must follow the start, the author is a name on one line and the comment holds no control
 * characters but newlines and tabs. Throws {@link MatcherError} or a RangeError with the reason.
 */
export function createSilence(input: NewSilence, now: number, id: string = randomUUID()): StoredSilence {
  const matchers = parseMatchers(input.matchers);
  if (!(input.endsAt > input.startsAt)) throw new RangeError('the silence must end after it starts');
  const author = authorProblem(input.createdBy);
  if (author !== undefined) throw new RangeError(author);
  if (NOT_IN_A_COMMENT.test(input.comment)) {
    throw new RangeError('the comment must be text: no control characters (other than newline and tab) and no bidirectional overrides');
  }
  return storedSilenceSchema.parse({
    id, matchers: matchers.map(formatMatcher), startsAt: input.startsAt, endsAt: input.endsAt,
    createdBy: input.createdBy.slice(0, MAX_AUTHOR_LENGTH), comment: input.comment.slice(0, MAX_COMMENT_LENGTH), createdAt: now,
  });
}

/** Parses a stored silence's matchers; a silence whose matchers no longer parse is dropped by the caller. */
export function compileSilence(stored: StoredSilence): Silence {
  return {
    id: stored.id, matchers: parseMatchers(stored.matchers), startsAt: stored.startsAt, endsAt: stored.endsAt,
    createdBy: stored.createdBy, comment: stored.comment,
  };
}

/** Whether a silence is in force at `at` (start inclusive, end exclusive). */
export function isActive(silence: { readonly startsAt: number; readonly endsAt: number }, at: number): boolean {
  return at >= silence.startsAt && at < silence.endsAt;
}

/**
 * The label values of a step. Every value is the whole of what it names, and matchers anchor at
 * both ends, so a value can only match a matcher written for exactly it.
 */
export function subjectLabels(subject: SilenceSubject): Readonly<Record<SilenceLabel, string>> {
  const e = subject.entity;
  return {
    detector: subject.detector,
    entity: e.key,
    kind: e.kind,
    namespace: e.namespace ?? '',
    workload: e.workload ?? (e.kind === 'workload' ? e.name : ''),
    pod: e.pod ?? (e.kind === 'pod' ? e.name : ''),
    principal: e.kind === 'principal' ? e.name : '',
    playbook: subject.playbook,
    action: subject.action,
  };
}

/** Whether every matcher of the silence holds for the step. */
export function silenceMatches(silence: Silence, subject: SilenceSubject): boolean {
  const labels = subjectLabels(subject);
  return silence.matchers.every((m) => matchValue(m, labels[m.label]));
}

/** The first silence in force at `at` that matches the step. */
export function findSilence(silences: readonly Silence[], subject: SilenceSubject, at: number): Silence | undefined {
  return silences.find((s) => isActive(s, at) && silenceMatches(s, subject));
}
