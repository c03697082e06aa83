/**
 * Model builders: VGG, ResNet, DenseNet, Inception, UNet, ResUNet, ResUNet-ECSA, ResUNet-FPRM, DResUNet, Res-Dense fusion and the small CNNs of the source documents.
 * @module models
 */
export {};
