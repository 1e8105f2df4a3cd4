"""Keras 3 / TensorFlow 2.21 behaviour that ember's tests assert for the lessons' semantics.

Run with TensorFlow 2.21 (Keras 3.15) installed; it prints what each case gives, which the tests
hold as constants (tests/layers/...; each test names this script):

  python3 tests/golden/lesson_semantics.py
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def case(title):
    print(f"\n== {title}")


case("cross-entropy after a softmax: logits [100, 0, 0], true class 1")
x = tf.constant([[100.0]])
dense = keras.layers.Dense(3, activation="softmax", kernel_initializer="zeros")
dense.build((None, 1))
dense.kernel.assign([[1.0, 0.0, 0.0]])
with tf.GradientTape() as tape:
    p = dense(x)
    loss = keras.losses.categorical_crossentropy([[0.0, 1.0, 0.0]], p)
print("loss", float(loss[0]), "kernel gradient", tape.gradient(loss, dense.kernel).numpy())

case("NaN gradients reach the weights (no skip)")
v = tf.Variable([1.0, 2.0, 3.0])
keras.optimizers.Adam(0.1).apply_gradients([(tf.constant([np.nan, 1.0, np.inf]), v)])
print(v.numpy())

case("a flat metric list on a two-output model")
inp = keras.Input((4,), name="x")
a = keras.layers.Dense(3, name="dec_output")(inp)
b = keras.layers.Dense(2, activation="softmax", name="class_output")(inp)
two = keras.Model(inp, [a, b])
data = (np.zeros((4, 4)), [np.zeros((4, 3)), np.ones((4, 2)) / 2])
for metrics in (["categorical_accuracy"], ["mae", "accuracy"]):
    two.compile(optimizer="adam", loss=["mse", "categorical_crossentropy"], metrics=metrics)
    try:
        print(metrics, sorted(two.fit(*data, verbose=0).history))
    except ValueError as e:
        print(metrics, "ValueError:", str(e).split("\n", 1)[1])


class Counting(keras.utils.PyDataset):
    def __init__(self):
        super().__init__()
        self.ended = 0

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return np.zeros((2, 4)), np.zeros((2, 3))

    def on_epoch_end(self):
        self.ended += 1


case("Sequence.on_epoch_end calls")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
model.compile("sgd", "mse")
for epochs in (1, 3):
    s = Counting()
    model.fit(s, epochs=epochs, verbose=0)
    print(f"fit(epochs={epochs}):", s.ended)
s = Counting()
model.evaluate(s, verbose=0)
print("evaluate:", s.ended)
s = Counting()
model.predict(s, verbose=0)
print("predict:", s.ended)

case("summary of a Sequential built by a call on one row, then after compile and fit")
seq = keras.Sequential([keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])
seq(tf.zeros((1, 20)))
seq.summary()
seq.compile("adam", "mse")
seq.fit(np.zeros((4, 20)), np.zeros((4, 10)), verbose=0)
seq.summary()

case("a model with one output per layer of a chain: no 'Connected to' column")
chain = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128), keras.layers.Dense(10)])
keras.Model(chain.inputs, [layer.output for layer in chain.layers]).summary()


class DenseNN(tf.Module):
    def __init__(self, outputs):
        super().__init__()
        self.outputs = outputs
        self.w = None

    def __call__(self, x):
        if self.w is None:
            self.w = tf.Variable(tf.random.truncated_normal((x.shape[-1], self.outputs)))
            self.b = tf.Variable(tf.zeros([self.outputs]))
        return x @ self.w + self.b


class TwoLayers(tf.Module):
    def __init__(self):
        super().__init__()
        self.first = DenseNN(4)
        self.second = DenseNN(1)

    def __call__(self, x):
        return self.second(tf.nn.relu(self.first(x)))


case("tf.Module: trainable_variables order, names")
two_layers = TwoLayers()
two_layers(tf.ones((2, 3)))
print([tuple(v.shape) for v in two_layers.trainable_variables])
print("names:", two_layers.name, [m.name for m in two_layers.submodules])

case("Keras 3 variable name and path")
d = keras.layers.Dense(3, name="dense_layer")
d.build((None, 2))
print(d.kernel.name, d.kernel.path)

case("tf.Variable(v1) is a new variable")
v1 = tf.Variable(5.0)
v4 = tf.Variable(v1)
v4.assign(100)
print(float(v1.numpy()), float(v4.numpy()))

case("printing a dtype, a list of variables and of layers")
print(tf.int32, [tf.Variable(1.0, name="v")])
keras.utils.clear_session()
inner = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(4)])
outer = keras.Sequential([keras.Input(shape=(8,)), inner, keras.layers.Dense(2)])
print(outer.layers, keras.layers.Dense(3))
print(type(keras.layers.Input(shape=(2,))).__name__)

case("boolean masks, compound assignment, uint8 labels against an int64 argmax")
y_test = tf.constant([7, 2, 1, 0, 4])
y2 = tf.constant([7, 2, 0, 0, 9])
print(y_test[y_test == y2].numpy())
m = tf.reshape(tf.range(12), (3, 4))
print(tf.boolean_mask(m, [False, True, False, True], axis=1).numpy().tolist())
print(m[m % 5 == 0].numpy())
x = tf.constant([1.0, 2.0])
before = x
x += 1
print(x.numpy(), before.numpy())
predicted = tf.argmax(tf.constant([[0.1, 0.9], [0.8, 0.2], [0.6, 0.4]]), 1)
print((predicted == np.array([1, 0, 255], np.uint8)).numpy())
