"""Checks that Keras loads the files ember writes: samples/lesson16_save_load saves its model as
model.h5, model.keras and model.weights.h5, with keras_check_x.npy (8 test images) and
keras_check_y.npy (ember's prediction). Keras must load each file and predict the same.
Run with TensorFlow installed, after the sample:
    python tests/golden/keras_reads_ember.py runs/lesson16
"""
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import keras  # noqa: E402

folder = sys.argv[1] if len(sys.argv) > 1 else "runs/lesson16"
x = np.load(f"{folder}/keras_check_x.npy")
expected = np.load(f"{folder}/keras_check_y.npy")
worst = 0.0
for name in ["model.h5", "model.keras"]:
    model = keras.models.load_model(f"{folder}/{name}")
    error = float(np.max(np.abs(model.predict(x, verbose=0) - expected)))
    worst = max(worst, error)
    print(f"{name}: {type(model).__name__} with {model.count_params()} parameters, optimizer "
          f"{type(model.optimizer).__name__} at step {int(model.optimizer.iterations)}, "
          f"largest difference from ember {error:.2e}")
model.load_weights(f"{folder}/model.weights.h5")
error = float(np.max(np.abs(model.predict(x, verbose=0) - expected)))
worst = max(worst, error)
print(f"model.weights.h5 into the loaded model: largest difference {error:.2e}")
sys.exit(0 if worst < 1e-5 else 1)
