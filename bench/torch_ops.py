"""PyTorch's side of bench/ops_bench: the same ops, timed the same way (median of repeats).
Prints "name value" lines: GFLOP/s for matmul, GB/s for add.
    python3 bench/torch_ops.py DEVICE THREADS
"""
import sys
import time

import torch

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
if threads > 0:
    torch.set_num_threads(threads)
torch.backends.cuda.matmul.allow_tf32 = False  # exact float32, as ember's default comparison


def sync():
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def median_seconds(fn, repeats):
    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


n = 1024
a = torch.rand(n, n, device=device)
b = torch.rand(n, n, device=device)
t = median_seconds(lambda: torch.matmul(a, b), 20 if device == "cpu" else 200)
print("matmul_gflops", 2 * n**3 / t / 1e9)
if device.startswith("cuda"):
    torch.backends.cuda.matmul.allow_tf32 = True
    t = median_seconds(lambda: torch.matmul(a, b), 200)
    print("matmul_tf32_gflops", 2 * n**3 / t / 1e9)

m = 1 << 24
x = torch.rand(m, device=device)
y = torch.rand(m, device=device)
t = median_seconds(lambda: torch.add(x, y), 30 if device == "cpu" else 200)
print("add_gbs", 3 * 4 * m / t / 1e9)
print("threads", torch.get_num_threads())
print("version_major", int(torch.__version__.split(".")[0]))
