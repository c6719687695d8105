import { InputError } from './errors.js';

/**
 * Seedable pseudo-random generator (sfc32) whose whole state is four 32-bit words, so a checkpoint
 * can store it and a resumed run draws exactly the numbers an uninterrupted run would have drawn.
 */
export type RngState = [number, number, number, number];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  /** Seeds from any integer; the same seed gives the same sequence on every platform. */
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = (seed | 0) ^ 0x5bd1e995;
    this.b ^= Math.floor(seed / 0x100000000) | 0;
    for (let i = 0; i < 16; i++) this.nextUint32();
  }

  /** Restores a generator from {@link Rng.state}; throws {@link InputError} unless it is four 32-bit integers. */
  static fromState(state: RngState): Rng {
    const valid = Array.isArray(state) && state.length === 4 &&
      state.every((word) => Number.isInteger(word) && word >= -0x80000000 && word <= 0xffffffff);
    if (!valid) throw new InputError('rng state', `expected four 32-bit integers, got ${JSON.stringify(state)}`);
    const rng = new Rng(0);
    [rng.a, rng.b, rng.c, rng.d] = state.map((word) => word | 0) as RngState;
    return rng;
  }

  /** The current state; pass it to {@link Rng.fromState} to continue the sequence. */
  state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal draw (Box-Muller; not part of the saved state's spare, so it is discarded). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    const u = 1 - this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** Picks one element uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
