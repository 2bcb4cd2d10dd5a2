/**
 * The JSON Schemas of the wire formats meshwarden defines, generated from the zod schemas that
 * validate them, so that the published files cannot drift from what the parser accepts. The
 * committed copies live in `schemas/`; a unit test fails when they are stale and rewrites them when
 * run with `MESHWARDEN_WRITE_SCHEMAS=1`.
 */
import { z } from 'zod';
import { driftMetricSchema } from './drift-metric-schema.js';
import { modelTelemetrySchema } from './model-telemetry-schema.js';

/** One published schema: its file name under `schemas/` and its content. */
export interface PublishedSchema {
  readonly file: string;
  readonly schema: Readonly<Record<string, unknown>>;
}

function publish(file: string, schema: z.ZodType, extra: Record<string, unknown> = {}): PublishedSchema {
  // io: 'input' describes what producers may send (the wire), not the parsed value.
  const generated = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
  return { file, schema: { $id: `https://meshwarden.dev/schemas/${file}`, ...generated, ...extra } };
}

/** Every published schema, in a stable order. */
export function publishedSchemas(): readonly PublishedSchema[] {
  return [
    publish('model-telemetry.v1.json', modelTelemetrySchema, {
      // The refinement zod cannot export: an interval record must say how long the interval was.
      if: { properties: { kind: { const: 'interval' } }, required: ['kind'] },
      then: { required: ['window_s'] },
    }),
    publish('drift-metric.v1.json', driftMetricSchema),
  ];
}

/** The file text of a published schema: two-space JSON with a final newline. */
export function schemaFileText(published: PublishedSchema): string {
  return `${JSON.stringify(published.schema, null, 2)}\n`;
}
