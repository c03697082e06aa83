/**
 * Name maps from PyTorch state-dict module paths (torchvision and timm) to the Keras-style
 * layer names of medinets' builders. Each map takes a module path (`layer1.0.conv1`) and
 * the file's module list, and returns our layer name (`conv2_block1_1_conv`) or `undefined`.
 *
 * - ResNet (torchvision resnet18-152; timm resnet* uses the same names): `conv1`/`bn1` ->
 *   `conv1_conv`/`conv1_bn`; `layerL.i.convJ`/`bnJ` -> `conv{L+1}_block{i+1}_J_conv`/`_bn`;
 *   `downsample.0`/`.1` -> `..._0_conv`/`_0_bn`; `fc` -> `predictions`.
 * - DenseNet (torchvision densenet121-201, timm densenet*): `features.conv0`/`norm0` ->
 *   `conv1/conv`/`conv1/bn`; `denseblockB.denselayerL.norm1/conv1/norm2/conv2` ->
 *   `conv{B+1}_block{L}_0_bn/_1_conv/_1_bn/_2_conv`; `transitionT.norm/conv` ->
 *   `pool{T+1}_bn/_conv`; `norm5` -> `bn`; `classifier` -> `predictions`. The published
 *   torchvision files use the legacy `norm.1`/`conv.1` keys, renamed first (torchvision's
 *   `_load_state_dict` does the same).
 * - VGG (torchvision vgg11-19, with and without BN): `features.N` numbered by position, the
 *   k-th conv of block b -> `block{b}_conv{k}` (its BN -> `block{b}_conv{k}_bn`);
 *   `classifier.0/3/6` -> `fc1`/`fc2`/`predictions`.
 * - Inception-v3 (torchvision): the 94 `BasicConv2d` modules in their construction order ->
 *   Keras' auto-names `conv2d`, `conv2d_1`, ... (`.bn` -> `batch_normalization_N`), the
 *   order Keras' `InceptionV3` creates them in; `fc` -> `predictions`.
 */

/** A family's map from module path to layer name. */
export type ModuleMap = (module: string, modules: readonly string[]) => string | undefined;

/**
 * Renames torchvision DenseNet's legacy keys (`denselayer1.norm.1.weight` ->
 * `denselayer1.norm1.weight`), as torchvision's `densenet._load_state_dict` does.
 */
export function renameLegacyDenseNet(key: string): string {
  return key.replace(
    /^(.*denselayer\d+\.(?:norm|relu|conv))\.([12])\.(weight|bias|running_mean|running_var)$/,
    '$1$2.$3',
  );
}

const resnet: ModuleMap = (m) => {
  if (m === 'conv1') return 'conv1_conv';
  if (m === 'bn1') return 'conv1_bn';
  if (m === 'fc') return 'predictions';
  let r = /^layer(\d)\.(\d+)\.(conv|bn)(\d)$/.exec(m);
  if (r) return `conv${+r[1] + 1}_block${+r[2] + 1}_${r[4]}_${r[3]}`;
  r = /^layer(\d)\.(\d+)\.downsample\.([01])$/.exec(m);
  if (r) return `conv${+r[1] + 1}_block${+r[2] + 1}_0_${r[3] === '0' ? 'conv' : 'bn'}`;
  return undefined;
};

const DENSE_PARTS: Record<string, string> = {
  norm1: '0_bn',
  conv1: '1_conv',
  norm2: '1_bn',
  conv2: '2_conv',
};

const densenet: ModuleMap = (m) => {
  const fixed: Record<string, string> = {
    'features.conv0': 'conv1/conv',
    'features.norm0': 'conv1/bn',
    'features.norm5': 'bn',
    classifier: 'predictions',
  };
  if (Object.hasOwn(fixed, m)) return fixed[m];
  let r = /^features\.denseblock(\d)\.denselayer(\d+)\.(norm1|conv1|norm2|conv2)$/.exec(m);
  if (r) return `conv${+r[1] + 1}_block${r[2]}_${DENSE_PARTS[r[3]]}`;
  r = /^features\.transition(\d)\.(norm|conv)$/.exec(m);
  if (r) return `pool${+r[1] + 1}_${r[2] === 'norm' ? 'bn' : 'conv'}`;
  return undefined;
};

// Convs per block of vgg11/13/16/19, keyed by their total.
const VGG_BLOCKS: Record<number, number[]> = {
  8: [1, 1, 2, 2, 2],
  10: [2, 2, 2, 2, 2],
  13: [2, 2, 3, 3, 3],
  16: [2, 2, 4, 4, 4],
};

const vgg: ModuleMap = (m, modules) => {
  const head: Record<string, string> = {
    'classifier.0': 'fc1',
    'classifier.3': 'fc2',
    'classifier.6': 'predictions',
  };
  if (Object.hasOwn(head, m)) return head[m];
  if (!/^features\.\d+$/.test(m)) return undefined;
  // Feature modules with weights, in index order: convs, each possibly followed by its BN.
  const feats = modules.filter((x) => /^features\.\d+$/.test(x)).sort((a, b) => +a.slice(9) - +b.slice(9));
  const hasBn = feats.length > 1 && feats.length % 2 === 0 && VGG_BLOCKS[feats.length / 2] !== undefined;
  const convs = hasBn ? feats.length / 2 : feats.length;
  const blocks = VGG_BLOCKS[convs];
  if (blocks === undefined) return undefined;
  const pos = feats.indexOf(m);
  const conv = hasBn ? Math.floor(pos / 2) : pos;
  let b = 0;
  let k = conv;
  while (k >= blocks[b]) k -= blocks[b++];
  const name = `block${b + 1}_conv${k + 1}`;
  return hasBn && pos % 2 === 1 ? `${name}_bn` : name;
};

// torchvision Inception3's BasicConv2d modules in construction order (= Keras' order).
function inceptionModules(): string[] {
  const out = ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'Conv2d_3b_1x1', 'Conv2d_4a_3x3'];
  const add = (block: string, parts: string[]): void => {
    for (const p of parts) out.push(`${block}.${p}`);
  };
  const a = [
    'branch1x1',
    'branch5x5_1',
    'branch5x5_2',
    'branch3x3dbl_1',
    'branch3x3dbl_2',
    'branch3x3dbl_3',
    'branch_pool',
  ];
  for (const blk of ['Mixed_5b', 'Mixed_5c', 'Mixed_5d']) add(blk, a);
  add('Mixed_6a', ['branch3x3', 'branch3x3dbl_1', 'branch3x3dbl_2', 'branch3x3dbl_3']);
  const c = ['branch1x1', 'branch7x7_1', 'branch7x7_2', 'branch7x7_3'];
  const c2 = [
    'branch7x7dbl_1',
    'branch7x7dbl_2',
    'branch7x7dbl_3',
    'branch7x7dbl_4',
    'branch7x7dbl_5',
    'branch_pool',
  ];
  for (const blk of ['Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) add(blk, [...c, ...c2]);
  add('Mixed_7a', [
    'branch3x3_1',
    'branch3x3_2',
    'branch7x7x3_1',
    'branch7x7x3_2',
    'branch7x7x3_3',
    'branch7x7x3_4',
  ]);
  const e = ['branch1x1', 'branch3x3_1', 'branch3x3_2a', 'branch3x3_2b', 'branch3x3dbl_1', 'branch3x3dbl_2'];
  const e2 = ['branch3x3dbl_3a', 'branch3x3dbl_3b', 'branch_pool'];
  for (const blk of ['Mixed_7b', 'Mixed_7c']) add(blk, [...e, ...e2]);
  return out;
}

const INCEPTION = new Map(inceptionModules().map((m, i) => [m, i]));

const inception: ModuleMap = (m) => {
  if (m === 'fc') return 'predictions';
  const r = /^(.*)\.(conv|bn)$/.exec(m);
  const i = r ? INCEPTION.get(r[1]) : undefined;
  if (r === null || i === undefined) return undefined;
  const base = r[2] === 'conv' ? 'conv2d' : 'batch_normalization';
  return i === 0 ? base : `${base}_${i}`;
};

/** The PyTorch families, by name (timm's ResNet and DenseNet share torchvision's names). */
export const TORCH_MAPS: Record<string, ModuleMap> = {
  'torchvision/timm resnet': resnet,
  'torchvision/timm densenet': densenet,
  'torchvision vgg': vgg,
  'torchvision inception_v3': inception,
};
