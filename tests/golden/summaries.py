"""Prints Keras 3's model.summary() for the models of tests/layers/models/test_models.cpp (run with COLUMNS=200
so the tables have their full width: COLUMNS=200 python tests/golden/summaries.py)."""
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"
import keras
from keras import layers
m = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")])
m.summary()
inp = keras.Input(shape=(20,), name="features")
x = layers.Dense(64, activation="relu")(inp)
x = layers.Dropout(0.5)(x)
a = layers.Dense(3, name="class_output")(x)
b = layers.Dense(1, name="score")(layers.LayerNormalization()(x))
f = keras.Model(inp, [a, b])
f.summary()
inner = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4)])
inner.trainable = False
outer = keras.Sequential([keras.Input(shape=(8,)), inner, layers.Dense(2)])
outer.summary()
e = keras.Sequential([keras.Input(shape=(10,), dtype="int32"), layers.Embedding(1000, 16), layers.Flatten(), layers.Dense(1)])
e.summary()
print([l.name for l in f.layers])
# A Sequential built by a call on one row (its shapes keep that batch size), then the same model
# after compile and fit (the optimizer's variables are counted), and a model with one output per
# layer of a chain (sequential-like: no "Connected to" column).
import numpy as np
import tensorflow as tf
keras.utils.clear_session()
s = keras.Sequential([layers.Dense(128, activation="relu"), layers.Dense(10)])
s(tf.zeros((1, 20)))
s.summary()
s.compile("adam", "mse")
s.fit(np.zeros((4, 20)), np.zeros((4, 10)), verbose=0)
s.summary()
keras.utils.clear_session()
chain = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(128), layers.Dense(10)])
keras.Model(chain.inputs, [layer.output for layer in chain.layers]).summary()
