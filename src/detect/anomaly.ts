import type { Entity } from '../features/entity.js';

/** Why a detector thinks a window is abnormal: one line per feature that crossed. */
export interface Evidence {
  readonly feature: string;
  readonly observed: number;
  readonly expected: number;
  readonly spread: number;
  readonly score: number;
  /** Supporting detail, e.g. the new edges or the drifted features. */
  readonly details?: readonly string[];
}

/** A detector's verdict that one entity behaved abnormally in one window. */
export interface Anomaly {
  /** Deterministic: the same detector, entity and window always give the same id. */
  readonly id: string;
  readonly detector: string;
  readonly severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  readonly entity: Entity;
  /** In [0, 1). */
  readonly score: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly evidence: readonly Evidence[];
}
