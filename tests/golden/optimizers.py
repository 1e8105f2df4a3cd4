"""Writes Keras 3's trajectories for the optimizer tests (tests/optim/test_optimizers.cpp):
20 steps on f(w, u) = sum(s*(w-c)^2) + sum(s2*(u-c2)^2), float32, one .npy per configuration
with the values of [w, u] after each step (shape (20, 8)). Run with TensorFlow installed:
    python tests/golden/optimizers.py tests/data/optimizers
The test compares ember's trajectories with these and with float64 formulas of its own.
"""
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402

S = np.array([0.5, 1.0, 2.0, 4.0, 0.25], np.float32)
C = np.array([1.0, -2.0, 0.5, 3.0, -1.0], np.float32)
S2 = np.array([1.0, 3.0, 0.5], np.float32)
C2 = np.array([2.0, -1.0, 1.0], np.float32)
O = keras.optimizers
SCHED = keras.optimizers.schedules

CONFIGS = {
    "sgd": lambda: O.SGD(learning_rate=0.1),
    "sgd_momentum": lambda: O.SGD(learning_rate=0.05, momentum=0.9),
    "sgd_nesterov": lambda: O.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "adagrad": lambda: O.Adagrad(learning_rate=0.1),
    "adadelta": lambda: O.Adadelta(learning_rate=1.0),
    "rmsprop": lambda: O.RMSprop(learning_rate=0.01),
    "rmsprop_momentum": lambda: O.RMSprop(learning_rate=0.01, momentum=0.5),
    "rmsprop_centered": lambda: O.RMSprop(learning_rate=0.01, centered=True),
    "rmsprop_centered_momentum": lambda: O.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "adam": lambda: O.Adam(learning_rate=0.05),
    "adam_amsgrad": lambda: O.Adam(learning_rate=0.05, amsgrad=True),
    "adamw": lambda: O.AdamW(learning_rate=0.05, weight_decay=0.1),
    "nadam": lambda: O.Nadam(learning_rate=0.05),
    "adamax": lambda: O.Adamax(learning_rate=0.05),
    "sgd_weight_decay": lambda: O.SGD(learning_rate=0.1, weight_decay=0.1),
    "sgd_clipnorm": lambda: O.SGD(learning_rate=0.1, clipnorm=1.0),
    "sgd_clipvalue": lambda: O.SGD(learning_rate=0.1, clipvalue=0.5),
    "adam_global_clipnorm": lambda: O.Adam(learning_rate=0.05, global_clipnorm=1.0),
    "sgd_exponential": lambda: O.SGD(learning_rate=SCHED.ExponentialDecay(0.1, 5, 0.5)),
    "sgd_exponential_staircase": lambda: O.SGD(
        learning_rate=SCHED.ExponentialDecay(0.1, 5, 0.5, staircase=True)),
    "adam_piecewise": lambda: O.Adam(learning_rate=SCHED.PiecewiseConstantDecay([5, 12], [0.1, 0.05, 0.01])),
    "sgd_cosine_warmup": lambda: O.SGD(learning_rate=SCHED.CosineDecay(
        0.0, decay_steps=15, alpha=0.1, warmup_target=0.1, warmup_steps=5)),
}

out = sys.argv[1]
for name, make in CONFIGS.items():
    opt = make()
    w = tf.Variable(np.zeros(5, np.float32))
    u = tf.Variable(np.full(3, 0.5, np.float32))
    rows = []
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(S * (w - C) ** 2) + tf.reduce_sum(S2 * (u - C2) ** 2)
        grads = tape.gradient(loss, [w, u])
        opt.apply_gradients(zip(grads, [w, u]))
        rows.append(np.concatenate([w.numpy(), u.numpy()]))
    np.save(f"{out}/{name}.npy", np.array(rows, np.float32))
    print(name, rows[-1])
