"""TensorFlow's side of bench/fit_bench: the same models trained by Keras' model.fit (Keras 3,
graph mode as compile() sets it up by default). Prints "ms_per_step <value>" (the median epoch of
epochs 2-6).
    python3 bench/tf_fit.py DEVICE THREADS BATCH MODEL ROWS [POLICY]   MODEL: mlp | resnet
POLICY (default float32) is a Keras dtype policy, e.g. mixed_bfloat16; the output layer stays
float32 either way, as ember's side has it.
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
model_name = sys.argv[4] if len(sys.argv) > 4 else "mlp"
rows = int(sys.argv[5]) if len(sys.argv) > 5 else 12800
keras.mixed_precision.set_global_policy(sys.argv[6] if len(sys.argv) > 6 else "float32")
if threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
rng = np.random.default_rng(1)


class Timer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.ends = []

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(time.perf_counter())


def toy_resnet():
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1 = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2 = layers.add([x, block_1])
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3 = layers.add([x, block_2])
    x = layers.Conv2D(64, 3, activation="relu")(block_3)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax", dtype="float32")(x))


with tf.device("/GPU:0" if device.startswith("cuda") else "/CPU:0"):
    if model_name == "resnet":
        x = rng.random((rows, 32, 32, 3), dtype=np.float32)
        y = rng.integers(0, 10, (rows, 1))
        model = toy_resnet()
        loss = "sparse_categorical_crossentropy"
    else:
        x = rng.random((rows, 784), dtype=np.float32)
        y = keras.utils.to_categorical(rng.integers(0, 10, rows), 10)
        model = keras.Sequential([keras.Input((784,)), layers.Dense(128, activation="relu"),
                                  layers.Dense(10, activation="softmax", dtype="float32")])
        loss = "categorical_crossentropy"
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    timer = Timer()
    model.fit(x, y, batch_size=batch, epochs=6, verbose=0, callbacks=[timer])
epochs = sorted(b - a for a, b in zip(timer.ends, timer.ends[1:]))
print("ms_per_step", epochs[len(epochs) // 2] / ((rows + batch - 1) // batch) * 1e3)
