/**
 * Where the ImageNet weights each ecosystem publishes live, for `weights: 'imagenet'`. The
 * hashes are the ones the publishers' own loaders check: torchvision names each file with
 * the first hex digits of its sha256 (torch.hub's `check_hash` compares that prefix);
 * keras.applications passes the md5 below to `get_file(file_hash=...)`. Values are as
 * published in torchvision `models/*.py` and keras `applications/*.py`.
 */

/** One published file. */
export interface PublishedWeights {
  /** Where the publisher serves it. */
  url: string;
  /** File name in the cache (the URL's last part). */
  filename: string;
  /** Expected digest: a sha256 hex prefix (torchvision) or a full md5 (Keras). */
  hash: { algorithm: 'sha256-prefix' | 'md5'; hex: string };
}

const TV = 'https://download.pytorch.org/models/';
const KERAS = 'https://storage.googleapis.com/tensorflow/keras-applications/';

function torchvision(file: string): PublishedWeights {
  const hex = /-([0-9a-f]{8,})\.pth$/.exec(file)?.[1] ?? '';
  return { url: TV + file, filename: file, hash: { algorithm: 'sha256-prefix', hex } };
}

function keras(path: string, md5: string): PublishedWeights {
  return {
    url: KERAS + path,
    filename: path.slice(path.lastIndexOf('/') + 1),
    hash: { algorithm: 'md5', hex: md5 },
  };
}

// torchvision's IMAGENET1K_V1 files (the architecture's original training).
const TORCHVISION: Record<string, string> = {
  ResNet18: 'resnet18-f37072fd.pth',
  ResNet34: 'resnet34-b627a593.pth',
  ResNet50: 'resnet50-0676ba61.pth',
  ResNet101: 'resnet101-63fe2227.pth',
  ResNet152: 'resnet152-394f9c45.pth',
  DenseNet121: 'densenet121-a639ec97.pth',
  DenseNet161: 'densenet161-8d451a50.pth',
  DenseNet169: 'densenet169-b2777c0a.pth',
  DenseNet201: 'densenet201-c1103571.pth',
  VGG11: 'vgg11-8a719046.pth',
  VGG13: 'vgg13-19584684.pth',
  VGG16: 'vgg16-397923af.pth',
  VGG19: 'vgg19-dcbb9e9d.pth',
  VGG11BN: 'vgg11_bn-6002323d.pth',
  VGG13BN: 'vgg13_bn-abd245e5.pth',
  VGG16BN: 'vgg16_bn-6c64b313.pth',
  VGG19BN: 'vgg19_bn-c79401a0.pth',
  InceptionV3: 'inception_v3_google-0cc3c7bd.pth',
};

// keras.applications: [with top, without top] as [path, md5].
const KERAS_FILES: Record<string, [string, string, string, string]> = {
  VGG16: [
    'vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5',
    '64373286793e3c8b2b4e3219cbf3544b',
    'vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    '6d6bbae143d832006294945121d1f1fc',
  ],
  VGG19: [
    'vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5',
    'cbe5617147190e668d6c5d5026f83318',
    'vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
    '253f8cb515780f3b799900260a226db6',
  ],
  ResNet50: [
    'resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5',
    '2cb95161c43110f7111970584f804107',
    'resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5',
    '4d473c1dd8becc155b73f8504c6f6626',
  ],
  ResNet101: [
    'resnet/resnet101_weights_tf_dim_ordering_tf_kernels.h5',
    'f1aeb4b969a6efcfb50fad2f0c20cfc5',
    'resnet/resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5',
    '88cf7a10940856eca736dc7b7e228a21',
  ],
  ResNet152: [
    'resnet/resnet152_weights_tf_dim_ordering_tf_kernels.h5',
    '100835be76be38e30d865e96f2aaae62',
    'resnet/resnet152_weights_tf_dim_ordering_tf_kernels_notop.h5',
    'ee4c566cf9a93f14d82f913c2dc6dd0c',
  ],
  DenseNet121: [
    'densenet/densenet121_weights_tf_dim_ordering_tf_kernels.h5',
    '9d60b8095a5708f2dcce2bca79d332c7',
    'densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5',
    '30ee3e1110167f948a6b9946edeeb738',
  ],
  DenseNet169: [
    'densenet/densenet169_weights_tf_dim_ordering_tf_kernels.h5',
    'd699b8f76981ab1b30698df4c175e90b',
    'densenet/densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5',
    'b8c4d4c20dd625c148057b9ff1c1176b',
  ],
  DenseNet201: [
    'densenet/densenet201_weights_tf_dim_ordering_tf_kernels.h5',
    '1ceb130c1ea1b78c3bf6114dbdfd8807',
    'densenet/densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5',
    'c13680b51ded0fb44dff2d8f86ac8bb1',
  ],
  InceptionV3: [
    'inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5',
    '9a0d58056eeedaa3f26cb7ebd46da564',
    'inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5',
    'bcbd6486424b2319ff4ef7d526e38f63',
  ],
  InceptionResNetV2: [
    'inception_resnet_v2/inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5',
    'e693bd0210a403b3192acc6073ad2e96',
    'inception_resnet_v2/inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5',
    'd19885ff4a710c122648d3b5c3b684e4',
  ],
};

/**
 * The published ImageNet file for a builder, or `undefined` when none is published.
 * @param builder The builder's name (`ResNet50`, `VGG16BN` for VGG16 with `batchNorm`...).
 * @param variant `'torchvision'` for torchvision's files, `'keras'` for keras.applications'.
 * @param includeTop Whether the model has the 1000-class top (Keras publishes both).
 */
export function imagenetWeights(
  builder: string,
  variant: 'keras' | 'torchvision',
  includeTop: boolean,
): PublishedWeights | undefined {
  if (variant === 'torchvision') {
    return Object.hasOwn(TORCHVISION, builder) ? torchvision(TORCHVISION[builder]) : undefined;
  }
  if (!Object.hasOwn(KERAS_FILES, builder)) return undefined;
  const [top, topMd5, notop, notopMd5] = KERAS_FILES[builder];
  return includeTop ? keras(top, topMd5) : keras(notop, notopMd5);
}
