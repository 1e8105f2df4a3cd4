"""PyTorch's side of bench/conv_bench: conv2d 3x3, 64 -> 64 channels, 32x32, batch 128, padding 1
(Keras' "same"), timed the same way (median of repeats, milliseconds). Channels-last memory format,
the layout ember uses, on the CPU.
    python3 bench/torch_conv.py DEVICE THREADS
"""
import sys
import time

import torch

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
if threads > 0:
    torch.set_num_threads(threads)
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True


def sync():
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def median_ms(fn, repeats):
    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e3


def measure(prefix, memory_format, repeats):
    x = torch.rand(128, 64, 32, 32, device=device).to(memory_format=memory_format)
    w = (torch.rand(64, 64, 3, 3, device=device) - 0.5) * 0.1
    w = w.to(memory_format=memory_format)
    x.requires_grad_(True)
    w.requires_grad_(True)
    y = torch.nn.functional.conv2d(x, w, padding=1)
    dy = torch.rand_like(y)
    with torch.no_grad():
        print(prefix + "forward_ms", median_ms(lambda: torch.nn.functional.conv2d(x, w, padding=1), repeats))

    def backward():
        out = torch.nn.functional.conv2d(x, w, padding=1)
        torch.autograd.grad(out, (x, w), dy)

    conv = torch.nn.grad
    print(prefix + "backward_data_ms", median_ms(lambda: conv.conv2d_input(x.shape, w, dy, padding=1), repeats))
    print(prefix + "backward_filter_ms", median_ms(lambda: conv.conv2d_weight(x, w.shape, dy, padding=1), repeats))

    print(prefix + "forward_backward_ms", median_ms(backward, repeats))


repeats = 10 if device == "cpu" else 100
measure("", torch.channels_last, repeats)
if device.startswith("cuda"):
    torch.backends.cudnn.allow_tf32 = True
    measure("tf32_", torch.channels_last, repeats)
print("threads", torch.get_num_threads())
