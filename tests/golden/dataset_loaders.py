"""Golden files for io::datasets' boston_housing and imdb: small .npz files laid out as Keras'
own, and what Keras 3's own loaders return for them (their shuffles with NumPy's
RandomState, imdb's word offsets, vocabulary and maxlen filters).

    KERAS_BACKEND=jax python3 tests/golden/dataset_loaders.py

Also what keras.utils.pad_sequences makes of a few sequences. Writes
tests/data/datasets/{boston_housing.npz, imdb.npz, expected.json}. Keras' get_file is
replaced by one returning the small file, so nothing is downloaded.
"""
import json
import os

import numpy as np
from keras.src.datasets import boston_housing, imdb
from keras.src.utils.sequence_utils import pad_sequences

out = os.path.join(os.path.dirname(__file__), "..", "data", "datasets")
os.makedirs(out, exist_ok=True)

# boston_housing.npz: x (N, 13) and y (N,) float64; 21 rows so the split is not a round number.
rows = 21
x = np.arange(rows * 13, dtype=np.float64).reshape(rows, 13) * 0.5 + 1.0
y = np.arange(rows, dtype=np.float64) * 1.25 + 10.0
boston = os.path.join(out, "boston_housing.npz")
np.savez(boston, x=x, y=y)

# imdb.npz: ragged object arrays of word indices (pickled inside the .npy files), int64 labels.
rng = np.random.RandomState(7)
def reviews(count):
    return np.array([list(map(int, rng.randint(0, 40, size=rng.randint(0, 12)))) for _ in range(count)]
                    + [[]], dtype=object)[:count]
x_train, x_test = reviews(9), reviews(6)
x_train[2] = []  # an empty review
imdb_path = os.path.join(out, "imdb.npz")
np.savez(imdb_path, x_train=x_train, y_train=np.arange(9, dtype=np.int64) % 2,
         x_test=x_test, y_test=(np.arange(6, dtype=np.int64) + 1) % 2)

boston_housing.get_file = lambda *a, **k: boston
imdb.get_file = lambda *a, **k: imdb_path

expected = {"boston_housing": [], "imdb": []}
for test_split, seed in [(0.2, 113), (0.5, 3)]:
    (xt, yt), (xs, ys) = boston_housing.load_data(test_split=test_split, seed=seed)
    expected["boston_housing"].append({"test_split": test_split, "seed": seed,
                                       "x_train": xt.tolist(), "y_train": yt.tolist(),
                                       "x_test": xs.tolist(), "y_test": ys.tolist()})
cases = [{}, {"num_words": 20}, {"num_words": 25, "skip_top": 6, "maxlen": 10},
         {"oov_char": None, "num_words": 20, "seed": 5}, {"start_char": None, "index_from": 0, "num_words": 30},
         {"start_char": None, "index_from": 2, "oov_char": None, "skip_top": 8, "num_words": 35}]
for case in cases:
    (xt, yt), (xs, ys) = imdb.load_data(**case)
    expected["imdb"].append({"options": case, "x_train": [list(map(int, s)) for s in xt],
                             "y_train": yt.tolist(), "x_test": [list(map(int, s)) for s in xs],
                             "y_test": ys.tolist()})
sequences = [[1, 2, 3], [4, 5], [], [6, 7, 8, 9, 10]]
expected["pad_sequences"] = {"sequences": sequences, "cases": []}
for case in [{}, {"maxlen": 3}, {"maxlen": 4, "padding": "post"}, {"maxlen": 2, "truncating": "post"},
             {"maxlen": 6, "padding": "post", "truncating": "post", "value": -1.0},
             {"maxlen": 5, "padding": "pre", "truncating": "pre", "value": 7.0}]:
    expected["pad_sequences"]["cases"].append({"options": case,
                                               "result": pad_sequences(sequences, **case).tolist()})
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print("wrote", out)
