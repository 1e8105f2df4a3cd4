"""TensorFlow's side of bench/fit_bench: the same MLP trained by Keras' model.fit (Keras 3, graph
mode as compile() sets it up by default). Prints "ms_per_step <value>".
    python3 bench/tf_fit.py DEVICE THREADS BATCH
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
if threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
rows = 12800
rng = np.random.default_rng(1)
x = rng.random((rows, 784), dtype=np.float32)
y = keras.utils.to_categorical(rng.integers(0, 10, rows), 10)


class Timer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.ends = []

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(time.perf_counter())


with tf.device("/GPU:0" if device.startswith("cuda") else "/CPU:0"):
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    timer = Timer()
    model.fit(x, y, batch_size=batch, epochs=6, verbose=0, callbacks=[timer])
epochs = sorted(b - a for a, b in zip(timer.ends, timer.ends[1:]))  # epochs 2-6; the first warms up
print("ms_per_step", epochs[len(epochs) // 2] / ((rows + batch - 1) // batch) * 1e3)
