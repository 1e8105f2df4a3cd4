"""Writes Keras 3's own model and weight files for tests/test_keras_files.cpp: what ember's
load_model and load_weights must read. Two models, each trained one step so the optimizer and the
BatchNormalization moving statistics hold non-initial values:
  conv:    functional, Conv2D -> BatchNormalization -> GlobalAveragePooling2D -> Dense(softmax),
           compiled with Adam, sparse categorical cross-entropy and accuracy
  stacked: a Sequential holding a Sequential (Dense + frozen BatchNormalization) and two Dense
           layers, compiled with SGD(momentum) and mean squared error
For each: <name>.h5 (Keras 2 format), <name>.keras, <name>.weights.h5, <name>_x.npy (an input)
and <name>_y.npy (Keras' prediction). Also Keras' snake_case names of ember's layer classes, and
a zip with a deflated entry. Run with TensorFlow installed:
    python tests/golden/keras_files.py tests/data/keras_files
"""
import os
import sys
import zipfile

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras.src.utils import naming  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/keras_files"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
keras.utils.set_random_seed(11)


def write(name, model, x, y):
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    model.save(f"{out}/{name}.h5")
    model.save(f"{out}/{name}.keras")
    model.save_weights(f"{out}/{name}.weights.h5")
    np.save(f"{out}/{name}_x.npy", x)
    np.save(f"{out}/{name}_y.npy", model.predict(x, verbose=0).astype(np.float32))


inputs = keras.Input((6, 6, 3), name="image")
h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inputs)
h = keras.layers.BatchNormalization(name="norm")(h)
h = keras.layers.GlobalAveragePooling2D(name="pool")(h)
outputs = keras.layers.Dense(5, activation="softmax", name="probabilities")(h)
conv = keras.Model(inputs, outputs, name="conv_net")
conv.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
write("conv", conv, rng.normal(size=(4, 6, 6, 3)).astype(np.float32), rng.integers(0, 5, size=(4,)))

inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh", name="inner_dense"),
                          keras.layers.BatchNormalization(name="inner_norm")], name="inner")
inner.layers[1].trainable = False
stacked = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(3, activation="relu", name="hidden"),
                            keras.layers.Dense(2, name="out")], name="stacked")
stacked.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse")
write("stacked", stacked, rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=(5, 2)).astype(np.float32))

classes = ["Dense", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "BatchNormalization",
           "LayerNormalization", "GlobalAveragePooling2D", "MaxPooling2D", "UpSampling2D", "ZeroPadding2D",
           "InputLayer", "Functional", "Sequential", "Add", "MyHTTPLayer2D"]
with open(f"{out}/snake_case.txt", "w") as f:
    for c in classes:
        f.write(f"{c} {naming.to_snake_case(c)}\n")

with zipfile.ZipFile(f"{out}/deflated.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr("a.txt", "ember " * 50)
    z.writestr("empty.txt", "")
print("wrote", sorted(os.listdir(out)))
