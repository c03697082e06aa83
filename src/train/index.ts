/**
 * Training: losses, callbacks (early stopping, atomic checkpoints, LR on plateau, schedules,
 * logging, progress, stopping on NaN), mixed-label training, freezing, sanity checks, grid
 * search and resuming. Plots live in `medinets/plot`.
 * @module train
 */
export type { LossFn, LossReduction } from './loss-types';
export {
  type CrossEntropyOptions,
  type LabelSmoothedCrossEntropyOptions,
  binaryCrossEntropy,
  categoricalCrossEntropy,
  sparseCategoricalCrossEntropy,
  labelSmoothedCrossEntropy,
} from './loss-crossentropy';
export {
  type BinaryFocalLossOptions,
  type CategoricalFocalLossOptions,
  binaryFocalLoss,
  categoricalFocalLoss,
} from './loss-focal';
export { type DiceLossOptions, diceLoss } from './loss-dice';
export {
  type TripletMining,
  type TripletLossOptions,
  type TripletMarginLossOptions,
  pairwiseDistances,
  tripletLoss,
  tripletMarginLoss,
} from './loss-triplet';
export {
  type Schedule,
  type CosineScheduleOptions,
  type StepDecayOptions,
  type WarmupOptions,
  cosineSchedule,
  stepDecay,
  withWarmup,
} from './schedules';
export { getLearningRate, setLearningRate } from './learning-rate';
export { type AdamWOptions, AdamW, adamw } from './adamw';
export type { EpochLogs, MonitorMode, MonitorOptions } from './monitor';
export { type EarlyStoppingOptions, EarlyStopping } from './early-stopping';
export { type TerminateOnNaNOptions, TerminateOnNaN, NonFiniteLossError } from './terminate-on-nan';
export {
  type CheckpointState,
  type SaveCheckpointOptions,
  type LoadedCheckpoint,
  saveCheckpoint,
  loadCheckpoint,
  restoreOptimizer,
} from './checkpoint-io';
export { type ModelCheckpointOptions, ModelCheckpoint } from './model-checkpoint';
export { type ReduceLROnPlateauOptions, ReduceLROnPlateau } from './reduce-lr-on-plateau';
export { type LearningRateSchedulerOptions, LearningRateScheduler } from './learning-rate-scheduler';
export { type HistoryLoggerOptions, HistoryLogger } from './history-logger';
export { type ProgressStream, type ProgressBarOptions, ProgressBar } from './progress-bar';
export {
  type BatchMixer,
  type MixedBatch,
  type MixerLike,
  type FitWithMixingOptions,
  type MixingHistory,
  fitWithMixing,
} from './fit-mixing';
export {
  type LayerSelector,
  type SetTrainableOptions,
  selectLayers,
  setTrainable,
  freezeLayers,
  unfreezeLayers,
  trainOnly,
} from './freeze-layers';
export { type OverfitOptions, type OverfitResult, overfitOneBatch } from './overfit';
export {
  type SearchSpace,
  type Trial,
  type TrialResult,
  type GridSearchOptions,
  type GridSearchResult,
  gridTrials,
  gridSearch,
} from './grid-search';
export { type ResumeOptions, type ResumedRun, resumeFrom } from './resume';
