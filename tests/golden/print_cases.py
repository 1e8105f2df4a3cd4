"""Prints how TensorFlow 2 prints tensors, for tests/core/test_tensor.cpp's printing cases.

Run with TensorFlow installed (python -m venv v && v/bin/pip install tensorflow-cpu):
    python tests/golden/print_cases.py
Each case prints its name and print(tensor) output; the test embeds these strings.
"""
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf

cases = {
    "int_vector": tf.constant([1, 2, 3]),
    "float_matrix": tf.constant([[1., 2.], [3., 4.]]),
    "mixed_fraction": tf.constant([[1., 2.5], [3., 4.]]),
    "scalar_float": tf.constant(-4.0),
    "scalar_int": tf.constant(5),
    "scalar_small": tf.constant(1e-5),
    "bool_vector": tf.constant([True, False, True]),
    "float_tenth": tf.constant([0.1, 0.25, -3.0]),
    "scientific": tf.constant([1e-5, 1.0, 1e10]),
    "nan_inf": tf.constant([float("nan"), float("inf"), -1.5]),
    "rank3": tf.reshape(tf.range(12), (2, 2, 3)),
    "empty": tf.zeros((0, 3)),
    "long_vector": tf.range(2000),
    "long_matrix": tf.reshape(tf.range(2000), (40, 50)),
    "wrapped": tf.range(30, dtype=tf.float32) / 7.0,
    "float64_third": tf.constant([1.0 / 3.0], dtype=tf.float64),
    "float32_third": tf.constant([1.0 / 3.0]),
    "negative_ints": tf.constant([[-1, 20], [300, -4000]]),
}
for name, t in cases.items():
    print("###", name)
    print(t)
