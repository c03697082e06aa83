/**
 * Custom tfjs-layers layers: deformable convolution v2, squeeze-and-excitation family (SE, cSE, sSE, scSE), ECA, ECAsE and FPRM.
 * @module layers
 */
export {};
