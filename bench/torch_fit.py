"""PyTorch's side of bench/fit_bench: the same models, losses, optimizer and accuracy in the usual
PyTorch loop (shuffled index batches from tensors, no DataLoader workers; images NCHW, PyTorch's
native layout). Prints "ms_per_step <value>" (the median epoch of epochs 2-6).
    python3 bench/torch_fit.py DEVICE THREADS BATCH MODEL ROWS      MODEL: mlp | resnet
"""
import sys
import time

import torch
from torch import nn

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
model_name = sys.argv[4] if len(sys.argv) > 4 else "mlp"
rows = int(sys.argv[5]) if len(sys.argv) > 5 else 12800
if threads > 0:
    torch.set_num_threads(threads)
dev = torch.device("cuda:0" if device.startswith("cuda") else "cpu")
torch.manual_seed(1)


class ToyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(3))
        self.block_2 = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU())
        self.block_3 = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.Conv2d(64, 64, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))

    def forward(self, x):
        b1 = self.stem(x)
        b2 = self.block_2(b1) + b1
        b3 = self.block_3(b2) + b2
        return self.head(b3)


if model_name == "resnet":
    x = torch.rand(rows, 3, 32, 32, device=dev)
    model = ToyResNet().to(dev)
else:
    x = torch.rand(rows, 784, device=dev)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)).to(dev)
y = torch.randint(0, 10, (rows,), device=dev)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()


def epoch():
    model.train()
    order = torch.randperm(rows, device=dev)
    total = torch.zeros((), device=dev)
    correct = torch.zeros((), device=dev)
    for start in range(0, rows, batch):
        idx = order[start:start + batch]
        xb, yb = x[idx], y[idx]
        logits = model(xb)
        loss = loss_fn(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            total += loss.detach() * len(idx)
            correct += (logits.argmax(1) == yb).sum()
    return (total / rows).item(), (correct / rows).item()


ends = []
for _ in range(6):
    epoch()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    ends.append(time.perf_counter())
epochs = sorted(b - a for a, b in zip(ends, ends[1:]))  # epochs 2-6; the first warms up
print("ms_per_step", epochs[len(epochs) // 2] / ((rows + batch - 1) // batch) * 1e3)
