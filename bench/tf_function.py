"""TensorFlow's side of bench/function_bench: lesson 8's own training step (GradientTape,
categorical cross-entropy, Adam on 784-128-10) run eagerly and under @tf.function. Prints
"eager_ms <value>" and "function_ms <value>" (median of 5 rounds of 200 steps after a warm-up).
    python3 bench/tf_function.py DEVICE THREADS BATCH
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
if threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
rng = np.random.default_rng(2)


def make_step():
    model = tf.keras.Sequential([tf.keras.Input((784,)), tf.keras.layers.Dense(128, activation="relu"),
                                 tf.keras.layers.Dense(10, activation="softmax")])
    opt = tf.keras.optimizers.Adam(learning_rate=0.001)

    def train_batch(x_batch, y_batch):
        with tf.GradientTape() as tape:
            f_loss = tf.reduce_mean(tf.keras.losses.categorical_crossentropy(y_batch, model(x_batch, training=True)))
        grads = tape.gradient(f_loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return f_loss
    return train_batch


def ms_per_step(step, xs, ys):
    rounds = []
    for r in range(6):
        start = time.perf_counter()
        total = tf.zeros(())
        for i in range(200):
            total = total + step(xs[i % len(xs)], ys[i % len(ys)])
        total.numpy()
        if r > 0:
            rounds.append(time.perf_counter() - start)
    rounds.sort()
    return rounds[len(rounds) // 2] / 200 * 1e3


with tf.device("/GPU:0" if device.startswith("cuda") else "/CPU:0"):
    xs = [tf.constant(rng.random((batch, 784), dtype=np.float32)) for _ in range(50)]
    ys = [tf.one_hot(rng.integers(0, 10, batch), 10) for _ in range(50)]
    print("eager_ms", ms_per_step(make_step(), xs, ys))
    print("function_ms", ms_per_step(tf.function(make_step()), xs, ys))
