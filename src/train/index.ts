/**
 * Training: losses, callbacks, learning-rate schedules, freezing, mixed-label training and series aggregation.
 * @module train
 */
export {};
