/**
 * Classification and segmentation metrics that match scikit-learn, streaming accumulators and a Keras-style metrics callback.
 * @module metrics
 */
export * from './input';
export * from './confusion';
export * from './classification';
export * from './ranking';
export * from './agreement';
export * from './segmentation';
export * from './report';
export * from './evaluate';
export * from './streaming';
export * from './series';
export * from './callback';
