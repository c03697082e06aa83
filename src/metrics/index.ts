/**
 * Classification and segmentation metrics that match scikit-learn, streaming accumulators and a Keras-style metrics callback.
 * @module metrics
 */
export {};
