/** Longest label value sent: entity names beyond it are cut, so routing never sees megabyte values. */
export const MAX_LABEL_CHARS = 128;

/** Longest annotation sent. */
export const MAX_ANNOTATION_CHARS = 2_000;

/**
 * Control characters (C0, DEL, C1), the bidirectional marks, embeddings, overrides and isolates,
 * the Unicode line and paragraph separators, zero-width characters and lone surrogates: nothing a
 * label should hold, and what would break a notification template or fool a reader.
 */
// eslint-disable-next-line no-control-regex -- removing control characters is this pattern's whole job
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

/**
 * A label value built from a name the engine derived from traffic (a pod, workload, principal or
 * model name; a model name is its publisher's word): unsafe characters become `_`, the value is
 * cut to `max` characters on a code point boundary, and an empty result is `-` (Alertmanager drops
 * empty labels, and a matcher on a label that vanished would stop routing).
 */
export function labelValue(text: string, max: number = MAX_LABEL_CHARS): string {
  const cleaned = cut(text.slice(0, max * 2).replace(UNSAFE, '_').trim(), max);
  return cleaned === '' ? '-' : cleaned;
}

/** An annotation: like {@link labelValue}, but newlines are kept (annotations are read by people). */
export function annotationText(text: string, max: number = MAX_ANNOTATION_CHARS): string {
  return cut(text.slice(0, max * 2).split('\n').map((line) => line.replace(UNSAFE, '_')).join('\n'), max);
}

/** Cut on a code point boundary (a surrogate pair is never split). */
function cut(text: string, max: number): string {
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}
