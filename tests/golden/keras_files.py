"""Writes Keras 3's own model and weight files for tests/layers/saving/test_keras_files.cpp: what ember's
load_model and load_weights must read. Two models, each trained one step so the optimizer and the
BatchNormalization moving statistics hold non-initial values:
  conv:    functional, Conv2D -> BatchNormalization -> GlobalAveragePooling2D -> Dense(softmax),
           compiled with Adam, sparse categorical cross-entropy and accuracy
  stacked: a Sequential holding a Sequential (Dense + frozen BatchNormalization) and two Dense
           layers, compiled with SGD(momentum) and mean squared error
For each: <name>.h5 (Keras 2 format), <name>.keras, <name>.weights.h5, <name>_x.npy (an input)
and <name>_y.npy (Keras' prediction), then <name>_x_next.npy and <name>_t_next.npy (one more
training batch) and <name>_y_next.npy (the prediction after that step). Then zoo.keras: every layer class ember has, with options
(regularizers, depth multipliers, strides, activations by name), two inputs (an image and int32
tokens), with zoo_x0.npy, zoo_x1.npy and zoo_y.npy. Also Keras' snake_case names of ember's layer classes, and
a zip with a deflated entry, h5py files ember must refuse (bad_*), keras2_*.h5 written by
tf_keras (Keras 2; `pip install tf_keras`), and opt_<optimizer>.keras:
each optimizer's variables after two steps, with the prediction after a third. Run with
TensorFlow installed:
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
    # .keras first: Keras 3.15 drops the optimizer from a later .keras file's compile_config once
    # the model has been saved as .h5.
    model.save(f"{out}/{name}.keras")
    model.save(f"{out}/{name}.h5")
    model.save_weights(f"{out}/{name}.weights.h5")
    np.save(f"{out}/{name}_x.npy", x)
    np.save(f"{out}/{name}_y.npy", model.predict(x, verbose=0).astype(np.float32))
    # One more step from the saved state (optimizer slots and step count included): a model
    # loaded from <name>.keras must take the same step.
    x_next = rng.normal(size=x.shape).astype(np.float32)
    y_next = y[::-1].copy()
    model.fit(x_next, y_next, batch_size=len(x), epochs=1, verbose=0, shuffle=False)
    np.save(f"{out}/{name}_x_next.npy", x_next)
    np.save(f"{out}/{name}_t_next.npy", y_next.astype(np.float32 if y.dtype.kind == "f" else np.int32))
    np.save(f"{out}/{name}_y_next.npy", model.predict(x, verbose=0).astype(np.float32))


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

# zoo: every layer class ember reads, in one functional model with two inputs (.keras only).
L = keras.layers
img = keras.Input((8, 8, 3), name="img")
a = L.Conv2D(4, 3, padding="same", activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3), name="c1")(img)
a = L.BatchNormalization(name="bn")(a)
b = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2, name="dw")(img)
b = L.SeparableConv2D(4, 3, padding="same", activation="elu", name="sep")(b)
merged = [L.Add(name="add")([a, b]), L.Multiply(name="mul")([a, b]), L.Subtract(name="sub")([a, b]),
          L.Average(name="avg")([a, b]), L.Maximum(name="max")([a, b])]
c = L.MaxPooling2D(2, name="mp")(L.Concatenate(name="cat")(merged))
c = L.Conv2DTranspose(3, 3, strides=2, padding="same", activation="tanh", name="ct")(c)
c = L.UpSampling2D(2, name="up")(c)
c = L.ZeroPadding2D(1, name="zp")(c)
c = L.AveragePooling2D(3, strides=2, name="ap")(c)
g = L.Concatenate(name="cat2")([L.GlobalAveragePooling2D(name="gap")(c), L.GlobalMaxPooling2D(name="gmp")(c)])
g = L.Dense(8, activation="gelu", name="d1")(g)
g = L.LayerNormalization(name="ln")(g)
g = L.Dropout(0.3, name="drop")(g)
g = L.Activation("swish", name="act")(g)
g = L.Flatten(name="fl")(L.Reshape((2, 4), name="rs")(g))
tokens = keras.Input((5,), dtype="int32", name="tokens")
e = L.Flatten(name="fl2")(L.Embedding(20, 4, name="emb")(tokens))
probabilities = L.Dense(3, activation="softmax", name="out")(L.Concatenate(name="cat3")([g, e]))
zoo = keras.Model([img, tokens], probabilities, name="zoo")
zoo.compile("adam", "sparse_categorical_crossentropy")
x = [rng.normal(size=(4, 8, 8, 3)).astype(np.float32), rng.integers(0, 20, size=(4, 5)).astype(np.int32)]
zoo.fit(x, rng.integers(0, 3, size=(4,)), verbose=0)
zoo.save(f"{out}/zoo.keras")
np.save(f"{out}/zoo_x0.npy", x[0])
np.save(f"{out}/zoo_x1.npy", x[1])
np.save(f"{out}/zoo_y.npy", zoo.predict(x, verbose=0).astype(np.float32))

classes = ["Dense", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "BatchNormalization",
           "LayerNormalization", "GlobalAveragePooling2D", "MaxPooling2D", "UpSampling2D", "ZeroPadding2D",
           "InputLayer", "Functional", "Sequential", "Add", "MyHTTPLayer2D", "ABCDef", "aBcDe", "X",
           "Conv3DTranspose", "HTTPServerError2", "Dense_1", "My-Layer!"]
with open(f"{out}/snake_case.txt", "w") as f:
    for c in classes:
        f.write(f"{c} {naming.to_snake_case(c)}\n")

with zipfile.ZipFile(f"{out}/deflated.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr("a.txt", "ember " * 50)
    z.writestr("empty.txt", "")
print("wrote", sorted(os.listdir(out)))

# Files that must be refused cleanly (IoError, no crash, no huge allocation).
import h5py  # noqa: E402
import struct  # noqa: E402

with h5py.File(f"{out}/bad_soft_link.h5", "w") as f:
    f.create_group("layers")
    f["layers/up"] = h5py.SoftLink("/")
with h5py.File(f"{out}/bad_cycle.h5", "w") as f:
    g = f.create_group("loop")
    g["again"] = g  # a hard link to itself: an endless tree
with h5py.File(f"{out}/bad_no_storage.h5", "w") as f:
    f.create_dataset("huge", shape=(1 << 40,), dtype="f4")  # 4 TiB claimed, nothing stored
with h5py.File(f"{out}/utf8_fixed.h5", "w") as f:
    f.attrs.create("names", [w.encode("utf-8") for w in ["dense", "résumé"]], dtype=h5py.string_dtype("utf-8", 12))
    f.attrs["title"] = "ember"
with zipfile.ZipFile(f"{out}/bad_claimed_size.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr("big.txt", "x" * 100)
data = bytearray(open(f"{out}/bad_claimed_size.zip", "rb").read())
central = data.rfind(b"PK\x01\x02")
struct.pack_into("<I", data, central + 24, 0xFFFFFFF0)  # uncompressed size: almost 4 GiB
open(f"{out}/bad_claimed_size.zip", "wb").write(bytes(data))

# Every optimizer's variables in Keras' order: a two-layer model trained two steps, saved, then one
# more step. ember loads opt_<name>.keras, takes the same step and must land on opt_<name>_y_next.
optimizers = {
    "sgd_nesterov": keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop_centered": keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": keras.optimizers.Adagrad(0.1),
    "adadelta": keras.optimizers.Adadelta(1.0),
    "adam_amsgrad": keras.optimizers.Adam(0.01, amsgrad=True),
    "adamw": keras.optimizers.AdamW(0.01, weight_decay=0.1),
    "nadam": keras.optimizers.Nadam(0.01),
    "adamax": keras.optimizers.Adamax(0.01),
    # A schedule: Keras keeps no learning-rate variable then.
    "adam_schedule": keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.02, 1, 0.5)),
}
x_opt = rng.normal(size=(6, 3)).astype(np.float32)
t_opt = rng.normal(size=(6, 2)).astype(np.float32)
x_next = rng.normal(size=(6, 3)).astype(np.float32)
t_next = rng.normal(size=(6, 2)).astype(np.float32)
np.save(f"{out}/opt_x.npy", x_opt)
np.save(f"{out}/opt_t.npy", t_opt)
np.save(f"{out}/opt_x_next.npy", x_next)
np.save(f"{out}/opt_t_next.npy", t_next)
for name, optimizer in optimizers.items():
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(2)],
                             name=f"opt_{name}")
    model.compile(optimizer, "mse")
    model.fit(x_opt, t_opt, batch_size=6, epochs=2, verbose=0, shuffle=False)
    model.save(f"{out}/opt_{name}.keras")
    model.fit(x_next, t_next, batch_size=6, epochs=1, verbose=0, shuffle=False)
    np.save(f"{out}/opt_{name}_y_next.npy", model.predict(x_opt, verbose=0).astype(np.float32))

# Keras 2 (tf_keras, the Keras of the lessons' TensorFlow 2.x): its .h5 files, which many trained
# models still are. Needs `pip install tf_keras`; skipped without it.
try:
    import tf_keras
except ImportError:
    tf_keras = None
if tf_keras is not None:
    tf_keras.utils.set_random_seed(7)
    K2 = tf_keras.layers
    inp = tf_keras.Input((6, 6, 3))
    h = K2.BatchNormalization()(K2.Conv2D(4, 3, padding="same", activation="relu")(inp))
    a = K2.GlobalAveragePooling2D()(h)
    out2 = K2.Dense(5, activation="softmax")(K2.Add()([a, K2.Dense(4, activation="tanh")(a)]))
    k2_functional = tf_keras.Model(inp, out2)
    k2_functional.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x2 = rng.normal(size=(4, 6, 6, 3)).astype(np.float32)
    k2_functional.fit(x2, np.arange(4), verbose=0)
    k2_functional.save(f"{out}/keras2_functional.h5")
    np.save(f"{out}/keras2_functional_x.npy", x2)
    np.save(f"{out}/keras2_functional_y.npy", k2_functional.predict(x2, verbose=0).astype(np.float32))
    # One more step from the saved Adam state (tf_keras lists no learning-rate variable).
    rng_next = np.random.default_rng(99)
    x2_next = rng_next.normal(size=x2.shape).astype(np.float32)
    k2_functional.fit(x2_next, np.arange(4)[::-1].copy(), batch_size=4, verbose=0, shuffle=False)
    np.save(f"{out}/keras2_functional_x_next.npy", x2_next)
    np.save(f"{out}/keras2_functional_t_next.npy", np.arange(4)[::-1].astype(np.int32))
    np.save(f"{out}/keras2_functional_y_next.npy", k2_functional.predict(x2, verbose=0).astype(np.float32))
    k2_sequential = tf_keras.Sequential([K2.Dense(5, activation="relu", input_shape=(3,)), K2.Dropout(0.2),
                                        K2.Dense(2)])
    k2_sequential.compile(tf_keras.optimizers.SGD(0.1, momentum=0.9), "mse", metrics=["mae"])
    x2 = rng.normal(size=(5, 3)).astype(np.float32)
    k2_sequential.fit(x2, rng.normal(size=(5, 2)), verbose=0)
    k2_sequential.save(f"{out}/keras2_sequential.h5")
    np.save(f"{out}/keras2_sequential_x.npy", x2)
    np.save(f"{out}/keras2_sequential_y.npy", k2_sequential.predict(x2, verbose=0).astype(np.float32))
    # tf_keras' RMSprop (centered, momentum): its slot list, resumed one step later.
    tf_keras.utils.set_random_seed(8)
    k2_rms = tf_keras.Sequential([K2.Dense(4, activation="tanh", input_shape=(3,)), K2.Dense(2)])
    k2_rms.compile(tf_keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True), "mse")
    rng_rms = np.random.default_rng(98)
    x_rms, t_rms = rng_rms.normal(size=(6, 3)).astype(np.float32), rng_rms.normal(size=(6, 2)).astype(np.float32)
    k2_rms.fit(x_rms, t_rms, batch_size=6, verbose=0, shuffle=False)
    k2_rms.save(f"{out}/keras2_rmsprop.h5")
    np.save(f"{out}/keras2_rmsprop_x.npy", x_rms)
    np.save(f"{out}/keras2_rmsprop_y.npy", k2_rms.predict(x_rms, verbose=0).astype(np.float32))
    x_rms_next, t_rms_next = rng_rms.normal(size=(6, 3)).astype(np.float32), rng_rms.normal(size=(6, 2)).astype(np.float32)
    k2_rms.fit(x_rms_next, t_rms_next, batch_size=6, verbose=0, shuffle=False)
    np.save(f"{out}/keras2_rmsprop_x_next.npy", x_rms_next)
    np.save(f"{out}/keras2_rmsprop_t_next.npy", t_rms_next)
    np.save(f"{out}/keras2_rmsprop_y_next.npy", k2_rms.predict(x_rms, verbose=0).astype(np.float32))
    # Two outputs, metrics for one: tf_keras writes [[None], [{"name": "b_mae", ...}]].
    inp = tf_keras.Input((3,))
    a = K2.Dense(2, name="a")(inp)
    b = K2.Dense(1, name="b")(inp)
    k2_two = tf_keras.Model(inp, [a, b])
    k2_two.compile("rmsprop", ["mse", "mae"], metrics={"b": "mae"})
    k2_two.fit(x2, [rng.normal(size=(5, 2)), rng.normal(size=(5, 1))], verbose=0)
    k2_two.save(f"{out}/keras2_two_outputs.h5")
