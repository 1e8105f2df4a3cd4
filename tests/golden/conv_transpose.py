"""Writes Keras 3's Conv2DTranspose with output_padding for tests/layers/convolutional/test_conv_layers.cpp
(TransposedOutputPaddingMatchesKeras): for each case (padding, strides, kernel, output_padding),
the input, the kernel and Keras' output. Run with TensorFlow installed:
    python tests/golden/conv_transpose.py tests/data/conv_transpose
"""
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import keras  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/conv_transpose"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
cases = [("valid", (2, 2), (3, 3), (1, 1)), ("same", (2, 2), (3, 3), (1, 0)), ("same", (3, 2), (3, 2), (2, 1)),
         ("valid", (2, 3), (2, 3), (0, 2))]
x = rng.normal(size=(2, 4, 5, 3)).astype(np.float32)
np.save(f"{out}/x.npy", x)
for i, (padding, strides, kernel, output_padding) in enumerate(cases):
    layer = keras.layers.Conv2DTranspose(4, kernel, strides=strides, padding=padding, output_padding=output_padding,
                                         use_bias=False)
    layer.build(x.shape)
    w = rng.normal(size=layer.kernel.shape).astype(np.float32)
    layer.set_weights([w])
    y = np.asarray(layer(x))
    np.save(f"{out}/kernel_{i}.npy", w)
    np.save(f"{out}/y_{i}.npy", y)
    print(i, padding, strides, kernel, output_padding, y.shape)
