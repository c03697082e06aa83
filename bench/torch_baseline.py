"""PyTorch CPU baseline for bench/run.ts: the same three networks, batch 8, 128x128x1,
train step (forward + backward + Adam) and inference, 2 threads. Prints one JSON line.

Run with Debian's interpreter: /usr/bin/python3 bench/torch_baseline.py [names...]
"""
import json
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


def bench(build, steps):
    model, kind = build()
    x = torch.randn(BATCH, 1, SIZE, SIZE)
    if kind == "cls":
        y = torch.randint(0, 2, (BATCH,))
        loss_fn = nn.CrossEntropyLoss()
    else:
        y = (torch.rand(BATCH, 1, SIZE, SIZE) > 0.5).float()
        loss_fn = nn.BCELoss()
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    model.train()
    step()
    train = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        train.append(time.perf_counter() - t)
    model.eval()
    infer = []
    with torch.no_grad():
        model(x)
        for _ in range(steps):
            t = time.perf_counter()
            model(x)
            infer.append(time.perf_counter() - t)
    return {"train": statistics.median(train), "infer": statistics.median(infer)}


NETS = {"resnet18": resnet18, "unet": unet, "densenet121": densenet121}
names = [n for n in sys.argv[1:] if n in NETS] or list(NETS)
out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
for n in names:
    out[n] = bench(NETS[n], 5)
print(json.dumps(out))
