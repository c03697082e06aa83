"""PyTorch baseline for bench/deform-conv.ts: torchvision.ops.deform_conv2d forward +
backward (gradients for input, offset, mask, weight and bias) on the shapes given as JSON in
argv[1], 2 threads, float32. Prints one JSON line: {"torch", "threads", "ms": [median per shape]}.

Run with Debian's interpreter: /usr/bin/python3 bench/deform_conv_torch.py '<json>'
"""
import json
import statistics
import sys
import time

try:
    import torch
    from torchvision.ops import deform_conv2d
except ImportError as e:  # reported by deform-conv.ts as "skipped"
    print(json.dumps({"error": f"torch/torchvision not available: {e}"}))
    sys.exit(0)

torch.set_num_threads(2)
torch.manual_seed(0)


def run(s):
    n, h, w, cin, cout, k = s["n"], s["h"], s["w"], s["cin"], s["cout"], s["k"]
    st, p, g, reps = s["stride"], s["pad"], s["groups"], s["reps"]
    ho, wo = (h + 2 * p - k) // st + 1, (w + 2 * p - k) // st + 1
    x = torch.randn(n, cin, h, w, requires_grad=True)
    off = (torch.randn(n, 2 * g * k * k, ho, wo) * 2).requires_grad_()
    mask = torch.rand(n, g * k * k, ho, wo, requires_grad=True)
    weight = (torch.randn(cout, cin, k, k) * 0.1).requires_grad_()
    bias = torch.randn(cout, requires_grad=True)
    dy = torch.randn(n, cout, ho, wo)

    def step():
        for t in (x, off, mask, weight, bias):
            t.grad = None
        y = deform_conv2d(x, off, weight, bias, stride=st, padding=p, mask=mask)
        y.backward(dy)

    step()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


shapes = json.loads(sys.argv[1])
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "ms": [run(s) for s in shapes]}))
