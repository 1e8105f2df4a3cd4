"""TensorFlow's side of bench/conv_bench: conv2d 3x3, 64 -> 64 channels, 32x32, batch 128, "SAME",
NHWC, float32, timed the same way (median of repeats, milliseconds).
    python bench/tf_conv.py DEVICE THREADS
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


def median_ms(fn, repeats):
    fn().numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn().numpy()  # waits for the result
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e3


with tf.device(name):
    x = tf.random.uniform((128, 32, 32, 64))
    w = tf.random.uniform((3, 3, 64, 64), -0.05, 0.05)
    dy = tf.random.uniform((128, 32, 32, 64))
    forward = tf.function(lambda: tf.nn.conv2d(x, w, 1, "SAME"))
    data = tf.function(lambda: tf.compat.v1.nn.conv2d_backprop_input(x.shape, w, dy, [1, 1, 1, 1], "SAME"))
    flt = tf.function(lambda: tf.compat.v1.nn.conv2d_backprop_filter(x, w.shape, dy, [1, 1, 1, 1], "SAME"))

    @tf.function
    def both():
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = tf.nn.conv2d(x, w, 1, "SAME")
            loss = tf.reduce_sum(y * dy)
        gx, gw = tape.gradient(loss, [x, w])
        return loss + tf.reduce_sum(gx) + tf.reduce_sum(gw)  # the loss keeps the forward pass in the graph

    repeats = 10 if device == "cpu" else 100
    print("forward_ms", median_ms(forward, repeats))
    print("backward_data_ms", median_ms(data, repeats))
    print("backward_filter_ms", median_ms(flt, repeats))
    print("forward_backward_ms", median_ms(both, repeats))
