#!/usr/bin/python3
"""Superseded: `loadWeights(model, 'resnet50.pth')` reads torchvision/timm checkpoints in
TypeScript (src/weights). Kept only because test/fixtures/models/make_torchvision_parity.py
imports it to regenerate its committed fixtures.

Export a torchvision ResNet or DenseNet's weights to the tfjs weights format, under the
layer names of medinets' builders (Keras applications names), so that

    ResNet50({ variant: 'torchvision', weights: 'out/weights_manifest.json' })

gives the same logits as the torchvision model in eval mode.

Usage (torch/torchvision from Debian apt live under /usr/bin/python3):
    /usr/bin/python3 tools/port-torchvision.py resnet50 out/ [--state-dict file.pth] [--classes N]

Without --state-dict the model is randomly initialised (no download is attempted).
Writes out/weights_manifest.json (a tfjs weights-manifest array) and out/group1-shard1of1.bin.

Name mapping:
    ResNet:   conv1 -> conv1_conv, bn1 -> conv1_bn, layerL.i.convJ -> conv{L+1}_block{i+1}_J_conv,
              layerL.i.bnJ -> ..._J_bn, layerL.i.downsample.{0,1} -> ..._0_{conv,bn}, fc -> predictions
    DenseNet: features.conv0 -> conv1/conv, features.norm0 -> conv1/bn,
              features.denseblockB.denselayerL.{norm1,conv1,norm2,conv2} -> conv{B+1}_block{L}_{0_bn,1_conv,1_bn,2_conv},
              features.transitionT.{norm,conv} -> pool{T+1}_{bn,conv}, features.norm5 -> bn, classifier -> predictions
Tensor layouts: conv [out, in, kh, kw] -> [kh, kw, in, out]; linear [out, in] -> [in, out];
BN weight/bias/running_mean/running_var -> gamma/beta/moving_mean/moving_variance.
"""
import argparse
import json
import os
import re

import numpy as np

BN_FIELDS = {'weight': 'gamma', 'bias': 'beta', 'running_mean': 'moving_mean', 'running_var': 'moving_variance'}


def _param(layer, field, is_bn):
    """Our weight name for a torch parameter of a conv/linear (`kernel`, `bias`) or BN layer."""
    if is_bn:
        return f'{layer}/{BN_FIELDS[field]}'
    return f"{layer}/{'kernel' if field == 'weight' else 'bias'}"


def resnet_name(key):
    """Maps a torchvision ResNet state-dict key to (our name, is_bn), or None to skip it."""
    parts = key.split('.')
    field = parts[-1]
    if field == 'num_batches_tracked':
        return None
    if parts[0] == 'conv1':
        return _param('conv1_conv', field, False), False
    if parts[0] == 'bn1':
        return _param('conv1_bn', field, True), True
    if parts[0] == 'fc':
        return _param('predictions', field, False), False
    m = re.fullmatch(r'layer(\d)', parts[0])
    if not m:
        raise KeyError(f'unmapped ResNet key {key}')
    prefix = f'conv{int(m.group(1)) + 1}_block{int(parts[1]) + 1}'
    if parts[2] == 'downsample':
        is_bn = parts[3] == '1'
        return _param(f"{prefix}_0_{'bn' if is_bn else 'conv'}", field, is_bn), is_bn
    kind, j = parts[2][:-1], parts[2][-1]
    is_bn = kind == 'bn'
    return _param(f"{prefix}_{j}_{'bn' if is_bn else 'conv'}", field, is_bn), is_bn


def densenet_name(key):
    """Maps a torchvision DenseNet state-dict key to (our name, is_bn), or None to skip it."""
    parts = key.split('.')
    field = parts[-1]
    if field == 'num_batches_tracked':
        return None
    if parts[0] == 'classifier':
        return _param('predictions', field, False), False
    sub = parts[1]
    fixed = {'conv0': ('conv1/conv', False), 'norm0': ('conv1/bn', True), 'norm5': ('bn', True)}
    if sub in fixed:
        layer, is_bn = fixed[sub]
        return _param(layer, field, is_bn), is_bn
    m = re.fullmatch(r'denseblock(\d)', sub)
    if m:
        layer_idx = int(parts[2].replace('denselayer', ''))
        ours = {'norm1': ('0_bn', True), 'conv1': ('1_conv', False), 'norm2': ('1_bn', True), 'conv2': ('2_conv', False)}
        suffix, is_bn = ours[parts[3]]
        return _param(f'conv{int(m.group(1)) + 1}_block{layer_idx}_{suffix}', field, is_bn), is_bn
    m = re.fullmatch(r'transition(\d)', sub)
    if m:
        is_bn = parts[2] == 'norm'
        return _param(f"pool{int(m.group(1)) + 1}_{'bn' if is_bn else 'conv'}", field, is_bn), is_bn
    raise KeyError(f'unmapped DenseNet key {key}')


def to_tfjs(state_dict, family):
    """Returns [(name, float32 array in tfjs layout)] for a ResNet or DenseNet state dict."""
    mapper = resnet_name if family == 'resnet' else densenet_name
    out = []
    for key, tensor in state_dict.items():
        mapped = mapper(key)
        if mapped is None:
            continue
        name, _ = mapped
        a = tensor.detach().cpu().numpy().astype(np.float32)
        if a.ndim == 4:
            a = a.transpose(2, 3, 1, 0)
        elif a.ndim == 2:
            a = a.T
        out.append((name, np.ascontiguousarray(a)))
    return out


def write_weights(named, out_dir):
    """Writes a one-shard tfjs weights manifest and its binary into out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    shard = 'group1-shard1of1.bin'
    specs = [{'name': n, 'shape': list(a.shape), 'dtype': 'float32'} for n, a in named]
    with open(os.path.join(out_dir, shard), 'wb') as f:
        for _, a in named:
            f.write(a.astype('<f4').tobytes())
    with open(os.path.join(out_dir, 'weights_manifest.json'), 'w') as f:
        json.dump([{'paths': [shard], 'weights': specs}], f)


def export_model(model, out_dir):
    """Exports a torchvision ResNet / DenseNet instance (or subclass) to out_dir."""
    family = 'densenet' if hasattr(model, 'features') else 'resnet'
    write_weights(to_tfjs(model.state_dict(), family), out_dir)


def main():
    import torch
    import torchvision

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('arch', help='torchvision constructor name: resnet18 ... resnet152, densenet121 ... densenet201')
    p.add_argument('out', help='output directory')
    p.add_argument('--state-dict', help='a .pth state dict to load (default: random initialisation)')
    p.add_argument('--classes', type=int, default=1000)
    args = p.parse_args()
    if not re.fullmatch(r'(resnet|densenet)\d+', args.arch):
        raise SystemExit(f'unsupported architecture {args.arch}')
    model = getattr(torchvision.models, args.arch)(num_classes=args.classes)
    if args.state_dict:
        model.load_state_dict(torch.load(args.state_dict, map_location='cpu'))
    export_model(model.eval(), args.out)
    print(f'wrote {args.out}/weights_manifest.json')


if __name__ == '__main__':
    main()
