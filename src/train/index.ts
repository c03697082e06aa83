/**
 * Training: losses, callbacks (early stopping, atomic checkpoints, LR on plateau, schedules, logging, progress), mixed-label training, freezing, sanity checks, grid search, resuming, and browser-free plots.
 * @module train
 */
export * from './loss-types';
export * from './loss-crossentropy';
export * from './loss-focal';
export * from './loss-dice';
export * from './loss-triplet';
export * from './schedules';
export * from './learning-rate';
export * from './monitor';
export * from './early-stopping';
export * from './checkpoint-io';
export * from './model-checkpoint';
export * from './reduce-lr-on-plateau';
export * from './learning-rate-scheduler';
export * from './history-logger';
export * from './progress-bar';
export * from './fit-mixing';
export * from './freeze-layers';
export * from './overfit';
export * from './grid-search';
export * from './resume';
export * from './plot-figure';
export * from './plot-render';
export * from './plot-charts';
export * from './plot-save';
