import { z } from 'zod';
import { detectorSchema } from '../detect/detector-spec.js';
import { playbookSchema } from '../playbook/playbook-spec.js';

/**
 * JSON Schemas of the files users author, generated from the same zod schemas the engine validates
 * with, so an editor (yaml-language-server) flags exactly what `meshwarden check` would.
 */
export function configJsonSchemas(): { readonly playbook: Record<string, unknown>; readonly detector: Record<string, unknown> } {
  return {
    playbook: { $id: 'https://meshwarden.io/schemas/playbook.v1.json', ...z.toJSONSchema(playbookSchema, { io: 'input', unrepresentable: 'any' }) },
    detector: { $id: 'https://meshwarden.io/schemas/detector.v1.json', ...z.toJSONSchema(detectorSchema, { io: 'input', unrepresentable: 'any' }) },
  };
}

/** Where the committed copies live. */
export const CONFIG_SCHEMA_FILES = { playbook: 'schemas/playbook.v1.json', detector: 'schemas/detector.v1.json' } as const;
