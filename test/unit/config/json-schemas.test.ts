import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_FILES, configJsonSchemas } from '../../../src/config/config-json-schemas.js';

describe('editor JSON Schemas', () => {
  it.each(['playbook', 'detector'] as const)('the committed %s schema matches the engine\'s (regenerate with `npx tsx scripts/export-config-schemas.ts`)', async (kind) => {
    const committed: unknown = JSON.parse(await readFile(CONFIG_SCHEMA_FILES[kind], 'utf8'));
    expect(committed).toEqual(configJsonSchemas()[kind]);
  });

  it('offers every registered action, each with its own parameter schema', () => {
    const text = JSON.stringify(configJsonSchemas().playbook);
    for (const id of ['kubernetes.quarantine-pod', 'kubernetes.rollback-deployment', 'vault.rotate-secret', 'slack.approval']) expect(text).toContain(`"const":"${id}"`);
    expect(text).toContain('"expireAfter"');
  });
});
