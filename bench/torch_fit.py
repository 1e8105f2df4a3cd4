"""PyTorch's side of bench/fit_bench: the same MLP, loss, optimizer and accuracy in the usual
PyTorch loop (shuffled index batches from tensors, no DataLoader workers). Prints
"ms_per_step <value>".
    python3 bench/torch_fit.py DEVICE THREADS BATCH
"""
import sys
import time

import torch

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
if threads > 0:
    torch.set_num_threads(threads)
dev = torch.device("cuda:0" if device.startswith("cuda") else "cpu")
rows = 12800
torch.manual_seed(1)
x = torch.rand(rows, 784, device=dev)
y = torch.randint(0, 10, (rows,), device=dev)
model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(dev)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()


def epoch():
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
