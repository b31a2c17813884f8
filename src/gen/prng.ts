/**
 * Seeded pseudo-random numbers for the generator. Never Math.random: the same seed and options must
 * give byte-identical files, and each day/hour gets its own sub-stream so outputs do not shift when
 * an unrelated part of the range changes.
 */

/** A source of floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast, and plenty for synthetic data (not for anything secret). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes numbers (any safe integers, e.g. epoch ms) into one 32-bit seed; order matters. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = Math.imul(h ^ lo, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h ^ hi, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A sub-stream for the given parts of the seed. */
export function rngFor(...parts: number[]): Rng {
  return mulberry32(mixSeed(...parts));
}

/** Integer in [lo, hi] (both inclusive). */
export function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** Eight lowercase hex digits. */
export function hex8(rng: Rng): string {
  const x = Math.floor(rng() * 4294967296);
  return HEX2[x >>> 24] + HEX2[(x >>> 16) & 255] + HEX2[(x >>> 8) & 255] + HEX2[x & 255];
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Index into a cumulative weight table (last entry = total) by binary search. */
export function pickWeighted(rng: Rng, cumulative: readonly number[]): number {
  const x = rng() * cumulative[cumulative.length - 1];
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Running sums of weights, for pickWeighted. */
export function cumulate(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}
