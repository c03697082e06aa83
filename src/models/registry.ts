/**
 * Models by name, so examples and command lines pick a network from a string as the
 * COVID-CT thesis's training script does (`buildModel('ResNet50', { inputShape: [256, 256, 1], classes: 2 })`).
 * Adding a model is one line in `ModelBuilders` and one in the `MODEL_REGISTRY` table (the
 * compiler checks that the two agree).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { DenseNet121, DenseNet161, DenseNet169, DenseNet201 } from './densenet';
import { EmbeddingNet } from './embedding-net';
import { InceptionV3 } from './inception-v3';
import { MobileNetV2 } from './mobilenet-v2';
import { InceptionResNetV2 } from './inception-resnet-v2';
import { PneumoniaCNN, VGG16Transfer } from './pneumonia-cnn';
import { ResDenseFusion } from './res-dense-fusion';
import { ResNet18, ResNet34, ResNet50, ResNet101, ResNet152 } from './resnet';
import { VGG11, VGG13, VGG16, VGG19 } from './vgg';
import { SimpleCNN, SmallVGG } from './small-cnns';
import { ThesisVGG } from './deprecated';
import { UNet } from './unet';
import { ResUNet, ResUNetECSA, ResUNetFPRM } from './resunet';
import { DResUNet } from './dresunet';

/** A registry entry: a builder taking one options object, and a one-line description. */
export interface ModelEntry<F> {
  /** The builder. */
  build: F;
  /** What the model is and where it comes from. */
  description: string;
}

function entry<F extends (options?: never) => unknown>(build: F, description: string): ModelEntry<F> {
  return { build, description };
}

/** Every registered builder, by name (the keys of {@link buildModel}). */
export interface ModelBuilders {
  /** {@link VGG11}. */
  VGG11: typeof VGG11;
  /** {@link VGG13}. */
  VGG13: typeof VGG13;
  /** {@link VGG16}. */
  VGG16: typeof VGG16;
  /** {@link VGG19}. */
  VGG19: typeof VGG19;
  /** {@link ResNet18}. */
  ResNet18: typeof ResNet18;
  /** {@link ResNet34}. */
  ResNet34: typeof ResNet34;
  /** {@link ResNet50}. */
  ResNet50: typeof ResNet50;
  /** {@link ResNet101}. */
  ResNet101: typeof ResNet101;
  /** {@link ResNet152}. */
  ResNet152: typeof ResNet152;
  /** {@link DenseNet121}. */
  DenseNet121: typeof DenseNet121;
  /** {@link DenseNet161}. */
  DenseNet161: typeof DenseNet161;
  /** {@link DenseNet169}. */
  DenseNet169: typeof DenseNet169;
  /** {@link DenseNet201}. */
  DenseNet201: typeof DenseNet201;
  /** {@link InceptionV3}. */
  InceptionV3: typeof InceptionV3;
  /** {@link InceptionResNetV2}. */
  InceptionResNetV2: typeof InceptionResNetV2;
  /** {@link MobileNetV2}. */
  MobileNetV2: typeof MobileNetV2;
  /** {@link ResDenseFusion}. */
  ResDenseFusion: typeof ResDenseFusion;
  /** {@link PneumoniaCNN}. */
  PneumoniaCNN: typeof PneumoniaCNN;
  /** {@link VGG16Transfer}. */
  VGG16Transfer: typeof VGG16Transfer;
  /** {@link EmbeddingNet}. */
  EmbeddingNet: typeof EmbeddingNet;
  /** {@link SimpleCNN}. */
  SimpleCNN: typeof SimpleCNN;
  /** {@link SmallVGG}. */
  SmallVGG: typeof SmallVGG;
  /** The deprecated {@link ThesisVGG}. */
  ThesisVGG: typeof ThesisVGG;
  /** {@link UNet}. */
  UNet: typeof UNet;
  /** {@link ResUNet}. */
  ResUNet: typeof ResUNet;
  /** {@link ResUNetECSA}. */
  ResUNetECSA: typeof ResUNetECSA;
  /** {@link ResUNetFPRM}. */
  ResUNetFPRM: typeof ResUNetFPRM;
  /** {@link DResUNet}. */
  DResUNet: typeof DResUNet;
}

/** Every named model, keyed by builder name; one line per model. */
const MODEL_REGISTRY: { [N in ModelName]: ModelEntry<ModelBuilders[N]> } = {
  VGG11: entry(VGG11, 'VGG-11 (configuration A), Keras-style names'),
  VGG13: entry(VGG13, 'VGG-13 (configuration B), Keras-style names'),
  VGG16: entry(VGG16, 'VGG-16, Keras applications exact'),
  VGG19: entry(VGG19, 'VGG-19, Keras applications exact'),
  ResNet18: entry(ResNet18, 'ResNet-18 (basic units); variant keras | torchvision'),
  ResNet34: entry(ResNet34, 'ResNet-34 (basic units); variant keras | torchvision'),
  ResNet50: entry(ResNet50, 'ResNet-50, Keras applications exact'),
  ResNet101: entry(ResNet101, 'ResNet-101, Keras applications exact'),
  ResNet152: entry(ResNet152, 'ResNet-152, Keras applications exact'),
  DenseNet121: entry(DenseNet121, 'DenseNet-121, Keras applications exact'),
  DenseNet161: entry(DenseNet161, "DenseNet-161, torchvision's configuration (k = 48)"),
  DenseNet169: entry(DenseNet169, 'DenseNet-169, Keras applications exact'),
  DenseNet201: entry(DenseNet201, 'DenseNet-201, Keras applications exact'),
  InceptionV3: entry(InceptionV3, 'Inception-v3, Keras applications exact'),
  InceptionResNetV2: entry(InceptionResNetV2, 'Inception-ResNet-v2, Keras applications exact'),
  MobileNetV2: entry(MobileNetV2, 'MobileNetV2 (alpha 0.35-1.4), Keras applications exact'),
  ResDenseFusion: entry(
    ResDenseFusion,
    'CT slice classifier: ResNet101 + DenseNet121 trunks, projected, added, GAP (Trinh & Nguyen 2021)',
  ),
  PneumoniaCNN: entry(
    PneumoniaCNN,
    'Chest X-ray pneumonia CNN, 128x128x1 (Kermany-data Keras model of document 004)',
  ),
  VGG16Transfer: entry(
    VGG16Transfer,
    'Transfer classifier: frozen VGG16 base + dense 512-128-1, 256x256x3 (document 004)',
  ),
  EmbeddingNet: entry(
    EmbeddingNet,
    'Metric-learning embedding: DenseNet169 + 3 dense -> 512-d unit vector (triplet loss)',
  ),
  SimpleCNN: entry(SimpleCNN, 'Small CT classifier baseline: conv-ReLU-maxpool blocks, GAP, dense'),
  SmallVGG: entry(SmallVGG, 'Small VGG-style CT classifier: 4 conv + 2 fully connected layers'),
  ThesisVGG: entry(
    ThesisVGG,
    'Deprecated name of SmallVGG (model named ThesisVGG); removed in the next release',
  ),
  UNet: entry(
    UNet,
    "UNet (bilinear | transpose Up) as classifier or segmenter (head 'classify' | 'segment')",
  ),
  ResUNet: entry(ResUNet, 'Residual UNet classifier/segmenter, plain conv entries (Xu, COVID-CT thesis)'),
  ResUNetECSA: entry(ResUNetECSA, 'ResUNet + ECAsE attention (sSE + ECA) after the bottleneck'),
  ResUNetFPRM: entry(ResUNetFPRM, 'ResUNet + FPRM head fusing pooled semantics with the decoder map'),
  DResUNet: entry(DResUNet, 'Deformable-conv residual UNet with ECAsE and FPRM, for COVID-CT (Xu thesis)'),
};

/** Names accepted by {@link buildModel}. */
export type ModelName = keyof ModelBuilders;

/** The options object of the model called `N`. */
export type ModelOptions<N extends ModelName> = NonNullable<Parameters<ModelBuilders[N]>[0]>;

/** Names of every registered model, in registry order. */
export function listModels(): ModelName[] {
  return Object.keys(MODEL_REGISTRY) as ModelName[];
}

/** Whether `name` is a registered model (narrows a string from a command line). */
export function isModelName(name: string): name is ModelName {
  return Object.prototype.hasOwnProperty.call(MODEL_REGISTRY, name);
}

/** The one-line description of a registered model. */
export function describeModel(name: ModelName): string {
  return lookup(name, 'describeModel').description;
}

function lookup(name: string, fn: string): ModelEntry<(options?: object) => unknown> {
  if (!isModelName(name))
    throw new Error(`${fn}: unknown model '${name}'; known: ${listModels().join(', ')}`);
  return MODEL_REGISTRY[name] as unknown as ModelEntry<(options?: object) => unknown>;
}

/**
 * Builds the model called `name` with `options` (synchronously; `weights` as `'imagenet'`, a
 * path, a URL or bytes need {@link buildModelAsync}).
 */
export function buildModel<N extends ModelName>(name: N, options?: ModelOptions<N>): tfl.LayersModel {
  const e = lookup(name, 'buildModel');
  const w = (options as { weights?: unknown } | undefined)?.weights;
  if (typeof w === 'string' || w instanceof Uint8Array || w instanceof ArrayBuffer) {
    throw new Error(
      `buildModel: 'weights' is 'imagenet', a path, a URL or bytes, which load asynchronously; use buildModelAsync('${name}', ...)`,
    );
  }
  return e.build(options) as tfl.LayersModel;
}

/** Builds the model called `name`, awaiting `weights` given as `'imagenet'`, a path, a URL or bytes. */
export async function buildModelAsync<N extends ModelName>(
  name: N,
  options?: ModelOptions<N>,
): Promise<tfl.LayersModel> {
  return (await lookup(name, 'buildModelAsync').build(options)) as tfl.LayersModel;
}
