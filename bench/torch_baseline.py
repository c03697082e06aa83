"""PyTorch CPU baseline for bench/run.ts: the same networks, batch 8, 128x128x1 (ResNet-50:
batch 16, 224x224x3), train step (forward + backward + Adam) and inference, 2 threads. Prints
one JSON line.

Run with Debian's interpreter: /usr/bin/python3 bench/torch_baseline.py [names...]
  --one NAME --steps N [--warmup W] [--warmup-seconds S]   one network in this process (at
                         least W untimed steps and predictions first, default 1, and for at least
                         S seconds, default 0), with the process' peak RSS (bench/table.ts)
"""
import json
import resource
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torchvision
except ImportError as e:  # reported by run.ts as "skipped"
    print(json.dumps({"error": f"torch not available: {e}"}))
    sys.exit(0)

torch.set_num_threads(2)
torch.manual_seed(0)
BATCH, SIZE = 8, 128


def resnet18():
    m = torchvision.models.resnet18(num_classes=2)
    m.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    return m, "cls"


def densenet121():
    m = torchvision.models.densenet121(num_classes=2)
    m.features.conv0 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    return m, "cls"


class UNet(nn.Module):
    def __init__(self, base=32):
        super().__init__()

        def double(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(),
                                 nn.Conv2d(o, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU())

        ch = [base << i for i in range(5)]
        self.down = nn.ModuleList([double(1 if i == 0 else ch[i - 1], ch[i]) for i in range(4)])
        self.mid = double(ch[3], ch[4])
        self.up = nn.ModuleList([nn.ConvTranspose2d(ch[i + 1], ch[i], 2, 2) for i in range(4)])
        self.dec = nn.ModuleList([double(2 * ch[i], ch[i]) for i in range(4)])
        self.out = nn.Conv2d(ch[0], 1, 1)

    def forward(self, x):
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
            x = nn.functional.max_pool2d(x, 2)
        x = self.mid(x)
        for i in reversed(range(4)):
            x = torch.cat([self.up[i](x), skips[i]], 1)
            x = self.dec[i](x)
        return torch.sigmoid(self.out(x))


def unet():
    return UNet(), "seg"


def mobilenetv2():
    m = torchvision.models.mobilenet_v2(num_classes=2)
    m.features[0][0] = nn.Conv2d(1, 32, 3, 2, 1, bias=False)
    return m, "cls"


def resnet50():
    return torchvision.models.resnet50(num_classes=2), "cls"


# batch, size, channels of each network's input (the bench's: b8 128x128x1, ResNet-50 b16 224x224x3)
SHAPES = {"resnet50": (16, 224, 3)}


def warm_up(fn, count, seconds):
    """At least `count` untimed calls, and for at least `seconds`."""
    end = time.perf_counter() + seconds
    i = 0
    while i < count or time.perf_counter() < end:
        fn()
        i += 1


def bench(name, steps, warmup=1, warmup_seconds=0.0):
    model, kind = NETS[name]()
    batch, size, ch = SHAPES.get(name, (BATCH, SIZE, 1))
    x = torch.randn(batch, ch, size, size)
    if kind == "cls":
        y = torch.randint(0, 2, (batch,))
        loss_fn = nn.CrossEntropyLoss()
    else:
        y = (torch.rand(batch, 1, size, size) > 0.5).float()
        loss_fn = nn.BCELoss()
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    model.train()
    warm_up(step, warmup, warmup_seconds)
    train = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        train.append(time.perf_counter() - t)
    model.eval()
    infer = []
    with torch.no_grad():
        warm_up(lambda: model(x), warmup, warmup_seconds)
        for _ in range(steps):
            t = time.perf_counter()
            model(x)
            infer.append(time.perf_counter() - t)
    return {"train": statistics.median(train), "infer": statistics.median(infer)}


NETS = {"resnet18": resnet18, "unet": unet, "densenet121": densenet121, "mobilenetv2": mobilenetv2,
        "resnet50": resnet50}
if "--one" in sys.argv:
    name = sys.argv[sys.argv.index("--one") + 1]
    steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 5
    warmup = int(sys.argv[sys.argv.index("--warmup") + 1]) if "--warmup" in sys.argv else 1
    seconds = float(sys.argv[sys.argv.index("--warmup-seconds") + 1]) if "--warmup-seconds" in sys.argv else 0.0
    out = bench(name, steps, warmup, seconds)
    out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    out["torch"] = torch.__version__
    print(json.dumps(out))
    sys.exit(0)
names = [n for n in sys.argv[1:] if n in NETS] or ["resnet18", "unet", "densenet121"]
out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
for n in names:
    out[n] = bench(n, 5)
print(json.dumps(out))
