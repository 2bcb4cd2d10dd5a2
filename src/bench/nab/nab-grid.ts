import { z } from 'zod';
import type { AlgorithmConfig, AlgorithmInput } from '../../detect/stats/algorithm-registry.js';
import { algorithmSchema } from '../../detect/stats/algorithm-registry.js';
import { builtInAlgorithms } from '../../detect/stats/built-in-algorithms.js';
import { MeshwardenError } from '../../shared/errors.js';

/** One candidate parameter setting of a cross-validation grid. */
export interface NabGridSetting {
  /** The grid values that make this setting, e.g. `halfLife=1000 tolerance=0.05` (`base` alone). */
  readonly label: string;
  readonly config: AlgorithmConfig;
}

/** Raised when a grid declaration is malformed or one of its settings is not a valid algorithm. */
export class NabGridError extends MeshwardenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('nab-grid-invalid', message, { cause: options?.cause });
  }
}

/**
 * Upper bound on the settings one grid may expand to: every setting costs one pass over the
 * corpus, and a typo such as a 50-value axis should fail fast rather than run for an hour.
 */
export const MAX_GRID_SETTINGS = 100;

/**
 * A grid as written in YAML or JSON: a `base` algorithm (a built-in name or a declaration) and, per
 * dotted path into it (`halfLife`, `calibration.minSpread`, `members.2.tolerance`), the values to
 * try. Settings are the Cartesian product, in declaration order.
 */
export const nabGridSchema = z
  .object({
    base: z.union([z.string(), z.record(z.string(), z.unknown())]),
    grid: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
  })
  .strict();

/** A grid declaration as written, before expansion. */
export type NabGridInput = z.input<typeof nabGridSchema>;

/**
 * Grids for the shipped detectors, small enough to run in well under a minute on the development
 * corpus. They perturb the parameters that the documentation names as sensitive.
 */
export const builtInGrids: Readonly<Record<string, NabGridInput>> = {
  meshwarden: {
    base: 'meshwarden',
    grid: { 'calibration.minSpread': [0.03, 0.05, 0.08], 'holdoff.halfLife': [50, 200, 800] },
  },
  // The same calibration and holdoff neighbourhood as `meshwarden`, times the shape member's window.
  'meshwarden-novelty': {
    base: 'meshwarden-novelty',
    grid: {
      'calibration.minSpread': [0.03, 0.05, 0.08],
      'holdoff.halfLife': [50, 200, 800],
      'members.3.window': [4, 8, 16],
    },
  },
  // The calibration neighbourhood times the recurrence damping; damping 1 switches recurrence off,
  // so each fold says whether its training categories want it at all.
  'meshwarden-recurrence': {
    base: 'meshwarden-recurrence',
    grid: { 'calibration.minSpread': [0.03, 0.05, 0.08], 'recurrence.damping': [0.3, 0.5, 0.7, 1] },
  },
  // Only `halfLife` matters on NAB: `tolerance` rescales the score monotonically (the threshold
  // sweep absorbs it) and any `warmup` up to a few hundred rows ends inside NAB's probation.
  range: {
    base: 'range',
    grid: { halfLife: [1000, 5000, 20000, 80000, 320000] },
  },
};

/** Expands a grid declaration into its settings, each validated as an algorithm. */
export function expandNabGrid(input: unknown, source: string): NabGridSetting[] {
  const parsed = nabGridSchema.safeParse(input);
  if (!parsed.success) {
    throw new NabGridError(`${source}: invalid grid\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  const base = resolveBase(parsed.data.base, source);
  const axes = Object.entries(parsed.data.grid);
  const count = axes.reduce((n, [, values]) => n * values.length, 1);
  if (count > MAX_GRID_SETTINGS) {
    throw new NabGridError(`${source}: the grid expands to ${count} settings, more than ${MAX_GRID_SETTINGS}`);
  }

  const settings: NabGridSetting[] = [];
  const visit = (axis: number, document: unknown, parts: readonly string[]): void => {
    const next = axes[axis];
    if (next === undefined) {
      const label = parts.length === 0 ? 'base' : parts.join(' ');
      const config = algorithmSchema.safeParse(document);
      if (!config.success) {
        throw new NabGridError(`${source}: setting ${label} is not a valid algorithm\n${z.prettifyError(config.error)}`, {
          cause: config.error,
        });
      }
      settings.push({ label, config: config.data });
      return;
    }
    const [dottedPath, values] = next;
    for (const value of values) {
      visit(axis + 1, withValue(document, dottedPath.split('.'), value, source), [
        ...parts,
        `${dottedPath}=${JSON.stringify(value)}`,
      ]);
    }
  };
  visit(0, base, []);
  return settings;
}

function resolveBase(base: string | Record<string, unknown>, source: string): unknown {
  if (typeof base !== 'string') return base;
  const builtIn: AlgorithmInput | undefined = Object.hasOwn(builtInAlgorithms, base) ? builtInAlgorithms[base] : undefined;
  if (builtIn === undefined) {
    throw new NabGridError(`${source}: base "${base}" is not a built-in detector (${Object.keys(builtInAlgorithms).join(', ')})`);
  }
  return builtIn;
}

/**
 * A copy of `document` with `value` at `path`. Missing object keys are created (a grid may add
 * `holdoff.halfLife` to a base without holdoff); array elements must exist, since inventing an
 * ensemble member from a path would silently benchmark something nobody declared.
 */
function withValue(document: unknown, path: readonly string[], value: unknown, source: string): unknown {
  const [head, ...rest] = path;
  if (head === undefined || head === '') throw new NabGridError(`${source}: empty segment in grid path "${path.join('.')}"`);
  if (Array.isArray(document)) {
    const index = Number(head);
    if (!Number.isInteger(index) || index < 0 || index >= document.length) {
      throw new NabGridError(`${source}: grid path segment "${head}" is not an index of a ${document.length}-element list`);
    }
    const copy: unknown[] = Array.from(document as readonly unknown[]);
    copy[index] = rest.length === 0 ? value : withValue(document[index], rest, value, source);
    return copy;
  }
  if (head === '__proto__' || head === 'constructor' || head === 'prototype') {
    throw new NabGridError(`${source}: grid path segment "${head}" is not allowed`);
  }
  const record: Record<string, unknown> =
    typeof document === 'object' && document !== null ? Object.fromEntries(Object.entries(document)) : {};
  record[head] = rest.length === 0 ? value : withValue(record[head], rest, value, source);
  return record;
}
