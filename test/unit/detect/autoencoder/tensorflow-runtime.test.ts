import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadTensorflow } from '../../../../src/detect/autoencoder/tensorflow-runtime.js';
import { createLogger } from '../../../../src/shared/logger.js';

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => { out.push(line); } } });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function nativeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('loadTensorflow', () => {
  it('uses the cpu backend of @tensorflow/tfjs when asked to, and logs it', async () => {
    const { logger, lines } = capture();
    const runtime = await loadTensorflow({ logger }, { prefer: 'cpu' });
    expect(runtime).toMatchObject({ backend: 'cpu', source: '@tensorflow/tfjs' });
    expect(runtime.tf.getBackend()).toBe('cpu');
    expect(lines()).toContainEqual(expect.objectContaining({ msg: 'tensorflow backend selected', backend: 'cpu', source: '@tensorflow/tfjs' }));
  });

  it('picks tfjs-node when it is installed and falls back to cpu otherwise, logging the backend in use', async () => {
    const { logger, lines } = capture();
    const runtime = await loadTensorflow({ logger });
    const expected = nativeInstalled()
      ? { backend: 'tensorflow', source: '@tensorflow/tfjs-node' }
      : { backend: 'cpu', source: '@tensorflow/tfjs' };
    expect(runtime).toMatchObject(expected);
    expect(lines()).toContainEqual(expect.objectContaining({ msg: 'tensorflow backend selected', ...expected }));
  });
});
