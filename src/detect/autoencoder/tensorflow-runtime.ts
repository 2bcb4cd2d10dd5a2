import type * as Tfjs from '@tensorflow/tfjs';
import type { Logger } from '../../shared/logger.js';

/** The TensorFlow.js namespace (from `@tensorflow/tfjs-node` when present, else `@tensorflow/tfjs`). */
export type Tensorflow = typeof Tfjs;

/** A loaded TensorFlow.js and the backend it computes on. */
export interface TensorflowRuntime {
  readonly tf: Tensorflow;
  /** `tensorflow` (native, via tfjs-node) or `cpu` (pure JavaScript). */
  readonly backend: string;
  /** Which package provided `tf`. */
  readonly source: '@tensorflow/tfjs-node' | '@tensorflow/tfjs';
}

/** How to pick the backend. */
export interface LoadTensorflowOptions {
  /** `auto` uses tfjs-node when it is installed; `cpu` never tries it (tests, benchmarks). */
  readonly prefer?: 'auto' | 'cpu';
}

// A variable, not a literal: tfjs-node is an optional peer dependency, so neither the compiler nor
// a bundler may require it to resolve.
const NATIVE_PACKAGE: string = '@tensorflow/tfjs-node';

function isTensorflow(value: unknown): value is Tensorflow {
  if (typeof value !== 'object' || value === null) return false;
  return 'sequential' in value && typeof value.sequential === 'function' && 'getBackend' in value && typeof value.getBackend === 'function';
}

/** A CommonJS package seen from ESM may expose its exports directly or only under `default`. */
function asTensorflow(module: unknown): Tensorflow | undefined {
  if (isTensorflow(module)) return module;
  if (typeof module === 'object' && module !== null && 'default' in module && isTensorflow(module.default)) return module.default;
  return undefined;
}

function isModuleNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND');
}

/**
 * Loads TensorFlow.js: the native backend from `@tensorflow/tfjs-node` when it is installed (the
 * container image has it), otherwise the pure-JavaScript CPU backend of `@tensorflow/tfjs`, and
 * logs which one is used. Models and scores are the same either way, only slower on `cpu`.
 */
export async function loadTensorflow(deps: { readonly logger: Logger }, options: LoadTensorflowOptions = {}): Promise<TensorflowRuntime> {
  if ((options.prefer ?? 'auto') === 'auto') {
    try {
      const native = asTensorflow(await import(NATIVE_PACKAGE));
      if (native !== undefined) {
        await native.ready();
        const runtime: TensorflowRuntime = { tf: native, backend: native.getBackend(), source: '@tensorflow/tfjs-node' };
        deps.logger.info({ backend: runtime.backend, source: runtime.source, version: native.version.tfjs }, 'tensorflow backend selected');
        return runtime;
      }
      deps.logger.warn({ package: NATIVE_PACKAGE }, 'tensorflow native package does not look like TensorFlow.js; using the cpu backend');
    } catch (error) {
      // Absent is the normal case outside the image; present but unloadable (a missing native
      // library) deserves a warning, since it silently costs an order of magnitude in speed.
      if (isModuleNotFound(error)) deps.logger.debug({ package: NATIVE_PACKAGE }, 'tensorflow native package not installed');
      else deps.logger.warn({ err: error, package: NATIVE_PACKAGE }, 'tensorflow native package failed to load; using the cpu backend');
    }
  }
  const tf = await import('@tensorflow/tfjs');
  // Production mode drops tfjs's console banner recommending tfjs-node; the choice is logged here.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();
  const runtime: TensorflowRuntime = { tf, backend: tf.getBackend(), source: '@tensorflow/tfjs' };
  deps.logger.info({ backend: runtime.backend, source: runtime.source, version: tf.version.tfjs }, 'tensorflow backend selected');
  return runtime;
}
