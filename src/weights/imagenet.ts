/**
 * Where the ImageNet weights each ecosystem publishes live, for `weights: 'imagenet'`, with
 * the digest each publisher's own loader checks:
 * - torchvision names each file `<arch>-<first 8 hex of its sha256>.pth` and torch.hub's
 *   `check_hash` compares that prefix (torchvision `models/*.py`, `Weights(url=...)`);
 * - keras.applications passes an md5 to `get_file(file_hash=...)` (keras-team/keras
 *   `keras/src/applications/{vgg16,vgg19,resnet,densenet,inception_v3,inception_resnet_v2}.py`,
 *   read at commit 3422977a of 2026-08-21);
 * - keras.applications' MobileNetV2 files are fetched with no digest at all
 *   (`keras/src/applications/mobilenet_v2.py`), so none is checked here either: the entry says so.
 */

/** How a published file's digest is checked. */
export type DigestKind = 'sha256' | 'sha256-prefix' | 'md5' | 'none';

/** One published file. */
export interface PublishedWeights {
  /** Where the publisher serves it. */
  url: string;
  /** File name in the cache (the URL's last part). */
  filename: string;
  /**
   * Expected digest: a full sha256, a sha256 hex prefix (torchvision's file names), a full
   * md5 (Keras' `file_hash`), or `'none'` where the publisher gives none (`hex` is then `''`).
   */
  hash: { algorithm: DigestKind; hex: string };
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
    hash: md5 === '' ? { algorithm: 'none', hex: '' } : { algorithm: 'md5', hex: md5 },
  };
}

// torchvision's IMAGENET1K_V1 files (the architecture's original training), as
// torchvision 0.14's `ResNet50_Weights.IMAGENET1K_V1.url` etc. name them.
export const TORCHVISION_FILES: Readonly<Record<string, string>> = {
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

// keras.applications: [with top, md5, without top, md5] (the `file_hash`es of the sources above).
export const KERAS_FILES: Readonly<Record<string, readonly [string, string, string, string]>> = {
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

/** The alphas and square input sizes keras.applications publishes MobileNetV2 weights for. */
export const MOBILENET_V2_ALPHAS = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4] as const;
/** Input sizes of the published MobileNetV2 files; other sizes load the 224 file, as Keras does. */
export const MOBILENET_V2_ROWS = [96, 128, 160, 192, 224] as const;

// Python's `str(float(alpha))`, which Keras puts in the file names ('1.0', '0.35').
const pyFloat = (a: number): string => (Number.isInteger(a) ? a.toFixed(1) : String(a));

// Keras (as TF-slim before it) publishes alphas 1.3 and 1.4 at 224 only.
const mobilenetRows = (alpha: number, rows = 224): number =>
  alpha <= 1 && (MOBILENET_V2_ROWS as readonly number[]).includes(rows) ? rows : 224;

function mobilenetV2(alpha: number, rows: number, includeTop: boolean): PublishedWeights {
  const file = includeTop
    ? `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${pyFloat(alpha)}_${rows}.h5`
    : `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${pyFloat(alpha)}_${rows}_no_top.h5`;
  return keras(`mobilenet_v2/${file}`, '');
}

/** What selects a published file beyond the builder's name. */
export interface PublishedQuery {
  /** `'torchvision'` for torchvision's files, `'keras'` for keras.applications'. */
  variant: 'keras' | 'torchvision';
  /** Whether the model has the 1000-class top (Keras publishes both). */
  includeTop: boolean;
  /** MobileNetV2's width multiplier. */
  alpha?: number;
  /** MobileNetV2's input height (= width); sizes Keras does not publish fall back to 224. */
  rows?: number;
}

/**
 * The published ImageNet file for a builder, or `undefined` when none is published.
 * @param builder The builder's name (`ResNet50`, `VGG16BN` for VGG16 with `batchNorm`...).
 * @param query Variant, top, and MobileNetV2's alpha and input size.
 */
export function imagenetWeights(builder: string, query: PublishedQuery): PublishedWeights | undefined {
  const { variant, includeTop } = query;
  if (variant === 'torchvision') {
    return Object.hasOwn(TORCHVISION_FILES, builder) ? torchvision(TORCHVISION_FILES[builder]) : undefined;
  }
  if (builder === 'MobileNetV2') {
    const alpha = query.alpha ?? 1;
    if (!(MOBILENET_V2_ALPHAS as readonly number[]).includes(alpha)) return undefined;
    return mobilenetV2(alpha, mobilenetRows(alpha, query.rows), includeTop);
  }
  if (!Object.hasOwn(KERAS_FILES, builder)) return undefined;
  const [top, topMd5, notop, notopMd5] = KERAS_FILES[builder];
  return includeTop ? keras(top, topMd5) : keras(notop, notopMd5);
}

/** Every published file the table knows (each MobileNetV2 alpha and size), for checks. */
export function allPublishedWeights(): PublishedWeights[] {
  const out = Object.values(TORCHVISION_FILES).map(torchvision);
  for (const [top, topMd5, notop, notopMd5] of Object.values(KERAS_FILES)) {
    out.push(keras(top, topMd5), keras(notop, notopMd5));
  }
  for (const a of MOBILENET_V2_ALPHAS) {
    for (const r of a <= 1 ? MOBILENET_V2_ROWS : [224]) {
      out.push(mobilenetV2(a, r, true), mobilenetV2(a, r, false));
    }
  }
  return out;
}
