"""PyTorch's side of bench/optim_bench: one Adam step over 10^7 float32 parameters
(torch.optim.Adam with foreach=True), timed the same way. Prints "gbs VALUE" (7 arrays of
4-byte values per element: read p, g, m, v; write p, m, v).
    python3 bench/torch_adam.py DEVICE THREADS
"""
import sys
import time

import torch

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
if threads > 0:
    torch.set_num_threads(threads)
n = 10_000_000
p = torch.zeros(n, device=device, requires_grad=True)
p.grad = torch.rand(n, device=device)
opt = torch.optim.Adam([p], lr=1e-3, foreach=True)


def sync():
    if device.startswith("cuda"):
        torch.cuda.synchronize()


for _ in range(5):
    opt.step()
sync()
times = []
for _ in range(30 if device == "cpu" else 200):
    start = time.perf_counter()
    opt.step()
    sync()
    times.append(time.perf_counter() - start)
times.sort()
print("gbs", 7 * 4 * n / times[len(times) // 2] / 1e9)
