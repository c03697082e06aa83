/**
 * The kernel initializer used by the blocks and builders while a model is being built.
 * Two reasons to override a layer's own default: a `seed` (equal seeds build equal
 * weights, randomness drawn from our {@link Rng}), and speed — random initialisation of a
 * large backbone costs seconds on the cpu backend (VGG16's fc1 alone holds 102M weights),
 * wasted when pretrained weights overwrite everything, so builders given `weights` build
 * with zeros.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type Rng, makeRng } from '../util/random';

/** A tfjs-layers initializer instance. */
export type InitializerInstance = ReturnType<typeof tfl.initializers.glorotUniform>;

/** How kernels are initialised during a build. */
export interface InitScope {
  /** Fill kernels with zeros (weights will be loaded right after). */
  zeros?: boolean;
  /** Seed of the Glorot-uniform kernel initialisers. */
  seed?: number;
}

let zeros = false;
let rng: Rng | undefined;

/** The kernel initializer in force, or `undefined` for each layer's own default. */
export function kernelInit(): InitializerInstance | 'zeros' | undefined {
  if (zeros) return 'zeros';
  return rng ? tfl.initializers.glorotUniform({ seed: rng.int(2 ** 31 - 1) }) : undefined;
}

/** Runs `build` with the kernel initialisation described by `scope`, then restores the previous one. */
export function withKernelInit<T>(scope: InitScope, build: () => T): T {
  const saved = { zeros, rng };
  zeros = scope.zeros ?? zeros;
  rng = scope.seed !== undefined ? makeRng(scope.seed) : rng;
  try {
    return build();
  } finally {
    zeros = saved.zeros;
    rng = saved.rng;
  }
}
