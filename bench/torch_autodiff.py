"""PyTorch's side of bench/autodiff_bench: forward + backward of a chain of 100 elementwise ops on
1000-element float32 tensors, timed the same way. Prints "us_per_op VALUE".
    python3 bench/torch_autodiff.py THREADS
"""
import sys
import time

import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 0
if threads > 0:
    torch.set_num_threads(threads)
torch.manual_seed(0)
n, ops = 1000, 100
x = torch.rand(n, requires_grad=True)
scales = [torch.rand(n) * 0.5 + 0.75 for _ in range(ops)]
shifts = [torch.rand(n) * 0.1 for _ in range(ops)]


def step():
    y = x
    for i in range(ops):
        kind = i % 3
        if kind == 0:
            y = y * scales[i]
        elif kind == 1:
            y = y + shifts[i]
        else:
            y = torch.tanh(y)
    loss = y.sum()
    loss.backward()
    x.grad = None


for _ in range(20):
    step()
times = []
for _ in range(200):
    start = time.perf_counter()
    step()
    times.append(time.perf_counter() - start)
times.sort()
print("us_per_op", times[len(times) // 2] / ops * 1e6)
