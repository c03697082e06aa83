/**
 * The one seeding mechanism of a model build: a {@link KernelInit} made from the builder's
 * `seed` (and `zeros`) and passed explicitly to every block, which draws one seed per kernel
 * and per seeded custom layer or dropout, in construction order. Equal seeds therefore build
 * equal weights. Without a seed each layer keeps its own default initialiser.
 *
 * `zeros` exists for speed: random initialisation of a large backbone costs seconds on the
 * cpu backend (VGG16's fc1 alone holds 102M weights), wasted when pretrained weights
 * overwrite everything right after the build.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type Rng, makeRng } from '../util/random';

/** A tfjs-layers initializer instance. */
export type InitializerInstance = ReturnType<typeof tfl.initializers.glorotUniform>;

/** Options of {@link KernelInit}. */
export interface KernelInitOptions {
  /** Seed of the Glorot-uniform kernel initialisers and of seeded layers. Default: unseeded. */
  seed?: number;
  /** Fill kernels with zeros (weights will be loaded next). Default `false`. */
  zeros?: boolean;
}

/** Kernel initialisation of one model build; pass it to every block of that build. */
export class KernelInit {
  /** Whether kernels are filled with zeros. */
  readonly zeros: boolean;
  private readonly rng: Rng | undefined;

  /** @param options see {@link KernelInitOptions}; `{}` keeps every layer's own default. */
  constructor(options: KernelInitOptions = {}) {
    const { seed, zeros = false } = options;
    if (seed !== undefined && !Number.isFinite(seed)) {
      throw new Error(`KernelInit: 'seed' must be a finite number; got ${seed}`);
    }
    this.zeros = zeros;
    this.rng = seed === undefined ? undefined : makeRng(seed);
  }

  /**
   * The initializer of the next kernel: `'zeros'`, a seeded Glorot-uniform (one draw from the
   * build's generator), or `undefined` for the layer's own default.
   */
  kernel(): InitializerInstance | 'zeros' | undefined {
    if (this.zeros) return 'zeros';
    return this.rng ? tfl.initializers.glorotUniform({ seed: this.rng.int(2 ** 31 - 1) }) : undefined;
  }

  /** The seed of the next seeded layer (a custom layer, a dropout), or `undefined` when unseeded. */
  seed(): number | undefined {
    return this.rng?.int(2 ** 31 - 1);
  }
}
