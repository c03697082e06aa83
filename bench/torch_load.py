#!/usr/bin/python3
"""Times torch.load + load_state_dict of a torchvision ResNet-50 checkpoint (median of N runs),
the baseline of bench/load-weights.ts. Prints one JSON line: {"median_s": ...}.

Usage: /usr/bin/python3 bench/torch_load.py FILE.pth CLASSES RUNS
"""
import json
import statistics
import sys
import time

import torch
import torchvision

torch.set_num_threads(2)
path, classes, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
model = torchvision.models.resnet50(weights=None, num_classes=classes)
times = []
for _ in range(runs):
    t = time.perf_counter()
    model.load_state_dict(torch.load(path, map_location='cpu', weights_only=True))
    times.append(time.perf_counter() - t)
print(json.dumps({'median_s': statistics.median(times)}))
