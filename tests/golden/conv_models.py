"""Keras 3's summaries and parameter counts of the convolutional models in
tests/layers/convolutional/test_conv_layers.cpp: the lesson 11 CNN, the lesson 13 toy ResNet, VGG16/VGG19 (lesson 12),
and a BatchNormalization layer's moving statistics after one training call. Run with the full
table width:  COLUMNS=200 /root/tfvenv/bin/python tests/golden/conv_models.py
"""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

# Lesson 11
inp = keras.Input(shape=(32, 32, 3))
l = layers.Conv2D(32, 3, activation="relu")(inp)
l = layers.MaxPooling2D(2, padding="same")(l)
l = layers.Conv2D(64, 3, activation="relu")(l)
l = layers.MaxPooling2D(2, padding="same")(l)
l = layers.Flatten()(l)
l = layers.Dense(256, activation="relu")(l)
l = layers.Dropout(0.5)(l)
out = layers.Dense(10)(l)
keras.Model(inputs=inp, outputs=out).summary()

# Lesson 13
keras.backend.clear_session()
inputs = keras.Input(shape=(32, 32, 3), name="img")
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.Conv2D(64, 3, activation="relu")(x)
block_1_output = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_2_output = layers.add([x, block_1_output])
x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_3_output = layers.add([x, block_2_output])
x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(256, activation="relu")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="toy_resnet")
model.summary()


def vgg(blocks):
    m = keras.Sequential([keras.Input(shape=(224, 224, 3))])
    for filters, count in blocks:
        for _ in range(count):
            m.add(layers.Conv2D(filters, 3, activation="relu", padding="same"))
        m.add(layers.MaxPooling2D(2))
    m.add(layers.Flatten())
    m.add(layers.Dense(4096, activation="relu"))
    m.add(layers.Dense(4096, activation="relu"))
    m.add(layers.Dense(1000, activation="softmax"))
    return m


print("VGG16 params", vgg([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]).count_params())
print("VGG19 params", vgg([(64, 2), (128, 2), (256, 4), (512, 4), (512, 4)]).count_params())

# BatchNormalization: the moving statistics after one call in training mode on x[n, c] = n + c/10
# (shape (4, 2, 3, 3)), momentum 0.9; and inference output with those statistics.
bn = layers.BatchNormalization(momentum=0.9)
x = (np.arange(4 * 2 * 3 * 3).reshape(4, 2, 3, 3) % 7 + np.arange(3) / 10).astype("float32")
y = bn(x, training=True)
print("bn moving_mean", np.array2string(bn.moving_mean.numpy(), precision=8, separator=","))
print("bn moving_variance", np.array2string(bn.moving_variance.numpy(), precision=8, separator=","))
print("bn trainable", len(bn.trainable_weights), "non-trainable", len(bn.non_trainable_weights))
print("bn training y[0,0,0]", np.array2string(np.asarray(y)[0, 0, 0], precision=7, separator=","))
print("bn inference y[0,0,0]", np.array2string(np.asarray(bn(x, training=False))[0, 0, 0], precision=7, separator=","))
