#!/usr/bin/env python3
"""timm's ResNets and DenseNets, saved as safetensors the way the Hugging Face hub holds
timm weights, for tools/timm-parity/check.ts.

Needs timm and safetensors (not in Debian) beside Debian's python3-torch, e.g.
  /usr/bin/python3 -m pip install --target LIB timm==1.0.29 safetensors --no-deps
  PYTHONPATH=LIB /usr/bin/python3 make.py OUT resnet18,resnet50,densenet121
Each model: timm.create_model(name, num_classes=5), seeded; BatchNorm statistics and affine
weights drawn away from their 0/1 start; the state_dict as NAME.safetensors, a seeded NHWC
input [2, 64, 64, 3] (NAME_x.bin) and timm's logits (NAME_y.bin), float32 little-endian.
"""
import json
import os
import sys

import timm
import torch
from safetensors.torch import save_file
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
for name in sys.argv[2].split(','):
    torch.manual_seed(0)
    m = timm.create_model(name, pretrained=False, num_classes=5).eval()
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.copy_(torch.randn(mod.running_mean.shape, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(mod.running_var.shape, generator=g) + 0.5)
            mod.weight.data.copy_(torch.rand(mod.weight.shape, generator=g) + 0.5)
            mod.bias.data.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)
    x = torch.rand(2, 3, 64, 64, generator=g)
    with torch.no_grad(): y = m(x)
    save_file({k: v.contiguous() for k, v in m.state_dict().items()}, os.path.join(out, name + '.safetensors'))
    x.permute(0, 2, 3, 1).contiguous().numpy().astype('<f4').tofile(os.path.join(out, name + '_x.bin'))
    y.numpy().astype('<f4').tofile(os.path.join(out, name + '_y.bin'))
    json.dump({'size': 64, 'params': sum(p.numel() for p in m.parameters())}, open(os.path.join(out, name + '.json'), 'w'))
    print(name, y.shape, flush=True)
