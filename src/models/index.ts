/**
 * Model builders: VGG, ResNet, DenseNet, Inception, UNet, ResUNet, ResUNet-ECSA, ResUNet-FPRM, DResUNet, Res-Dense fusion and the small CNNs of the source documents.
 * @module models
 */
export {};
export * from './thesis-options';
export * from './thesis-cnn';
export * from './unet';
export * from './resunet';
export * from './dresunet';
export * from './backbone-options';
export * from './weights';
export * from './vgg';
export * from './resnet';
export * from './densenet';
export * from './inception-v3';
export * from './pneumonia-cnn';
export * from './res-dense-fusion';
export * from './embedding-net';
export * from './freeze';
export * from './batch-norm-momentum';
export * from './registry';
