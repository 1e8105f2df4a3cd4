"""Writes Keras 3's own JSON for two models and their outputs, for tests/layers/saving/test_saving.cpp
(ReadsKerasJson): keras.models.model_from_json's input format is what ember's model_from_json
must read. A functional model (an input, a Dense layer called twice, an Add, a Conv2D branch
reshaped, two outputs) and a Sequential; for each: to_json(), the weights (get_weights order), a
fixed input and the model's outputs. Run with TensorFlow installed:
    python tests/golden/saving.py tests/data/saving
"""
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import keras  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/saving"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)


def write(name, model, x):
    with open(f"{out}/{name}.json", "w") as f:
        f.write(model.to_json(indent=1))
    weights = [rng.normal(scale=0.4, size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    for i, w in enumerate(weights):
        np.save(f"{out}/{name}_weight_{i}.npy", w)
    np.save(f"{out}/{name}_x.npy", x)
    ys = model.predict(x, verbose=0)
    ys = ys if isinstance(ys, list) else [ys]
    for i, y in enumerate(ys):
        np.save(f"{out}/{name}_y_{i}.npy", y.astype(np.float32))
    print(name, len(weights), "weights,", len(ys), "outputs")


inputs = keras.Input((4, 4, 2), name="image")
conv = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="conv")(inputs)
pooled = keras.layers.MaxPooling2D(2, name="pool")(conv)
flat = keras.layers.Flatten(name="flat")(pooled)
shared = keras.layers.Dense(12, activation="tanh", name="shared")
a = shared(flat)
b = keras.layers.Dense(12, name="side")(flat)
total = keras.layers.Add(name="sum")([a, b])
again = shared(total)
head = keras.layers.Dense(3, activation="softmax", name="class_output")(again)
model = keras.Model(inputs, [head, b], name="two_heads")
write("functional", model, rng.normal(size=(5, 4, 4, 2)).astype(np.float32))

seq = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="relu", name="hidden"),
                        keras.layers.Dropout(0.5), keras.layers.Dense(2, activation="sigmoid", name="out")],
                       name="stack")
write("sequential", seq, rng.normal(size=(3, 6)).astype(np.float32))
