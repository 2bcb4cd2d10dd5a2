import { fnv1a } from '../shared/fnv1a.js';

/** log2 of the register count: 1024 registers, about 3% standard error, 1 KiB whatever the count. */
const PRECISION = 10;
const REGISTERS = 1 << PRECISION;
/** Bias correction of HyperLogLog for m >= 128 (Flajolet et al., 2007). */
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);

/**
 * Estimates how many distinct keys it was given in a fixed 1 KiB (HyperLogLog over a 32-bit hash,
 * with linear counting for small counts). The keys are client-chosen (one per source address), so
 * memory must not grow with them: a flood of a million addresses costs the same as ten.
 */
export class DistinctSketch {
  private readonly registers = new Uint8Array(REGISTERS);

  add(key: string): void {
    const h = hash32(key);
    const index = h >>> (32 - PRECISION);
    // Rank of the first set bit among the remaining bits, 1-based (all zero: one past them).
    const rest = (h << PRECISION) >>> 0;
    const rank = rest === 0 ? 32 - PRECISION + 1 : Math.clz32(rest) + 1;
    if (rank > (this.registers[index] ?? 0)) this.registers[index] = rank;
  }

  /** The estimated number of distinct keys added. */
  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = (ALPHA * REGISTERS * REGISTERS) / sum;
    // Small counts: linear counting over the empty registers is far more accurate.
    if (raw <= 2.5 * REGISTERS && zeros > 0) return Math.round(REGISTERS * Math.log(REGISTERS / zeros));
    return Math.round(raw);
  }
}

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so every bit depends on every input bit. */
export function hash32(key: string): number {
  let h = fnv1a(key);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
