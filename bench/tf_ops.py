"""TensorFlow's side of bench/ops_bench (optional second peer; found through $EMBER_TF_PYTHON):
the same ops timed the same way. Prints "name value" lines.
    python3 bench/tf_ops.py DEVICE THREADS
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
if threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_tensor_float_32_execution(False)
name = "/GPU:0" if device.startswith("cuda") else "/CPU:0"


def median_seconds(fn, repeats):
    fn().numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn().numpy()  # .numpy() waits for the result, like ember's synchronize
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


with tf.device(name):
    n = 1024
    a = tf.random.uniform((n, n))
    b = tf.random.uniform((n, n))
    t = median_seconds(lambda: tf.reduce_sum(tf.matmul(a, b)[0, :1]), 20)
    print("matmul_gflops", 2 * n**3 / t / 1e9)
    m = 1 << 24
    x = tf.random.uniform((m,))
    y = tf.random.uniform((m,))
    t = median_seconds(lambda: tf.add(x, y)[:1], 30)
    print("add_gbs", 3 * 4 * m / t / 1e9)
