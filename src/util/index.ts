/**
 * Internal helpers shared by every folder (seeded randomness, argument checks). Not a
 * public subpath; {@link Rng} is re-exported from the root for users who pass generators.
 * @module util
 */
export * from './random';
export * from './checks';
