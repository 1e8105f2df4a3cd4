"""Writes Keras 3's UpSampling2D with bilinear interpolation for tests/layers/convolutional/test_conv_layers.cpp
(BilinearUpSamplingMatchesKeras): the input and Keras' outputs for sizes (2, 2) and (3, 2).
Run with TensorFlow installed:
    python tests/golden/upsampling.py tests/data/upsampling
"""
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import keras  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/upsampling"
os.makedirs(out, exist_ok=True)
x = np.random.default_rng(11).normal(size=(2, 3, 4, 2)).astype(np.float32)
np.save(f"{out}/x.npy", x)
for i, size in enumerate([(2, 2), (3, 2)]):
    y = np.asarray(keras.layers.UpSampling2D(size, interpolation="bilinear")(x))
    np.save(f"{out}/bilinear_{i}.npy", y)
    print(size, y.shape)
