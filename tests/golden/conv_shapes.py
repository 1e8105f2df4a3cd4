"""Keras 3's output shapes of the image layers, written to tests/data/conv_shapes.json for
tests/layers/convolutional/test_conv_layers.cpp. Run with TensorFlow 2.21 / Keras 3:
    /root/tfvenv/bin/python tests/golden/conv_shapes.py
Each row: [layer, height, width, kernel (pool) size, stride, padding, dilation, output height,
output width]; an output of [-1, -1] marks an input Keras rejects (the window does not fit).
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402


def build(kind, k, s, padding, d):
    if kind == "Conv2D":
        return keras.layers.Conv2D(2, k, strides=s, padding=padding, dilation_rate=d)
    if kind == "Conv2DTranspose":
        return keras.layers.Conv2DTranspose(2, k, strides=s, padding=padding, dilation_rate=d)
    if kind == "DepthwiseConv2D":
        return keras.layers.DepthwiseConv2D(k, strides=s, padding=padding, dilation_rate=d)
    if kind == "SeparableConv2D":
        return keras.layers.SeparableConv2D(2, k, strides=s, padding=padding, dilation_rate=d)
    if kind == "MaxPooling2D":
        return keras.layers.MaxPooling2D(k, strides=s, padding=padding)
    return keras.layers.AveragePooling2D(k, strides=s, padding=padding)


rows = []
for kind in ["Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D"]:
    pooling = kind.endswith("Pooling2D")
    for h, w in [(7, 8), (9, 5), (2, 3)]:
        for k in [1, 2, 3, 4]:
            for s in [1, 2, 3]:
                for padding in ["valid", "same"]:
                    for d in [1] if pooling or s > 1 else [1, 2]:
                        if kind in ("DepthwiseConv2D", "SeparableConv2D") and (h, w) == (9, 5) and k == 4:
                            continue  # keep the table short: the rule is Conv2D's
                        layer = build(kind, k, s, padding, d)
                        try:
                            shape = layer.compute_output_shape((None, h, w, 3))
                            out = [shape[1], shape[2]]
                        except ValueError:
                            out = [-1, -1]
                        rows.append([kind, h, w, k, s, padding, d] + out)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "conv_shapes.json")
with open(path, "w") as f:
    json.dump({"keras_version": keras.__version__, "rows": rows}, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(rows)} rows to {os.path.normpath(path)}")
