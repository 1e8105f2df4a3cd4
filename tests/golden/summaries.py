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
