"""Writes Keras 3's model.fit results for tests/layers/trainers/test_training.cpp (FitMatchesKeras): a 4-5-3
network (relu, softmax) with fixed initial weights, trained by fit on 12 fixed rows with SGD
(learning rate 0.1, momentum 0.9), batches of 5 (the last one has 2 rows), no shuffling, the
last 25% held out (validation_split), 3 epochs; once plainly and once with sample weights. Saves
the inputs, the initial weights, each epoch's loss / accuracy / val_loss / val_accuracy and the
final weights as .npy files. Run with TensorFlow installed:
    python tests/golden/training.py tests/data/training
"""
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import keras  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/training"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)
x = rng.normal(size=(12, 4)).astype(np.float32)
y = keras.utils.to_categorical(rng.integers(0, 3, 12), 3).astype(np.float32)
sample_weight = rng.uniform(0.2, 2.0, 12).astype(np.float32)
initial = [rng.normal(scale=0.5, size=(4, 5)).astype(np.float32), rng.normal(scale=0.1, size=(5,)).astype(np.float32),
           rng.normal(scale=0.5, size=(5, 3)).astype(np.float32), rng.normal(scale=0.1, size=(3,)).astype(np.float32)]
np.save(f"{out}/x.npy", x)
np.save(f"{out}/y.npy", y)
np.save(f"{out}/sample_weight.npy", sample_weight)
for i, w in enumerate(initial):
    np.save(f"{out}/initial_{i}.npy", w)

for name, weights in [("plain", None), ("weighted", sample_weight)]:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=5, epochs=3, shuffle=False, validation_split=0.25, sample_weight=weights,
                  verbose=0)
    history = np.array([h.history[k] for k in ["loss", "accuracy", "val_loss", "val_accuracy"]], np.float64)
    np.save(f"{out}/{name}_history.npy", history)  # rows: loss, accuracy, val_loss, val_accuracy
    for i, w in enumerate(model.get_weights()):
        np.save(f"{out}/{name}_final_{i}.npy", w)
    print(name, history)
