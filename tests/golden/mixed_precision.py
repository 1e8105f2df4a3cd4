"""Writes Keras 3's files made under mixed precision for tests/layers/test_mixed_precision.cpp:
ember must load them with their policies and predict as Keras does.
  mixed_bfloat16.keras / .h5: Input(6) -> Dense(8, relu) -> BatchNormalization -> Dense(3)
      -> Activation(softmax, dtype="float32"), made under mixed_bfloat16, trained one step
      (Adam) so BatchNormalization's statistics are not their initial values
  mixed_bfloat16_x.npy, mixed_bfloat16_y.npy: an input and Keras' prediction (float32)
  dense_values.json: a Dense(2) under mixed_bfloat16 with set weights, its bfloat16 output
Run with TensorFlow installed:
    python tests/golden/mixed_precision.py tests/data/mixed_precision
"""
import json
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import keras  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/mixed_precision"
os.makedirs(out, exist_ok=True)
keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)
keras.mixed_precision.set_global_policy("mixed_bfloat16")

inputs = keras.Input((6,))
h = keras.layers.Dense(8, activation="relu")(inputs)
h = keras.layers.BatchNormalization()(h)
h = keras.layers.Dense(3)(h)
outputs = keras.layers.Activation("softmax", dtype="float32")(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
x = rng.normal(size=(16, 6)).astype(np.float32)
t = rng.integers(0, 3, size=(16,))
model.fit(x, t, batch_size=16, epochs=1, verbose=0)
model.save(f"{out}/mixed_bfloat16.keras")
model.save(f"{out}/mixed_bfloat16.h5")
np.save(f"{out}/mixed_bfloat16_x.npy", x)
np.save(f"{out}/mixed_bfloat16_y.npy", np.asarray(model.predict(x, verbose=0), np.float32))

dense = keras.layers.Dense(2)
dense.build((None, 3))
dense.set_weights([np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], np.float32),
                   np.array([0.01, -0.02], np.float32)])
y = dense(np.array([[1.0, 2.0, 3.0]], np.float32))
with open(f"{out}/dense_values.json", "w") as f:
    json.dump({"dtype": str(y.dtype.name), "values": np.asarray(y, np.float32).ravel().tolist(),
               "config_dtype": dense.get_config()["dtype"]}, f, indent=1)
