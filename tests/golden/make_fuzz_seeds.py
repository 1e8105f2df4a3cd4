#!/usr/bin/env python3
"""Writes the fuzz seeds that no other test fixture provides (tests/data/fuzz/): safetensors
files (one the weights of fuzz/fuzz_targets.cpp's model, Input(4) -> Dense(3) -> Dense(2), with
an Adam state; one of assorted dtypes) and IDX files (labels, images, gzip'ed images). Plain
Python, no numpy: python3 tests/golden/make_fuzz_seeds.py"""
import gzip
import json
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fuzz")


def safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def floats(n, start):
    return struct.pack("<%df" % n, *[start + 0.125 * i for i in range(n)])


def main():
    os.makedirs(HERE, exist_ok=True)
    shapes = [("sequential/dense/kernel", [4, 3]), ("sequential/dense/bias", [3]),
              ("sequential/dense_1/kernel", [3, 2]), ("sequential/dense_1/bias", [2])]
    weights = []
    for i, (name, shape) in enumerate(shapes):
        n = 1
        for d in shape:
            n *= d
        weights.append(("%d:%s" % (i, name), "F32", shape, floats(n, 0.5 * i)))
    optimizer = [("optimizer/iterations", "I64", [], struct.pack("<q", 3))]
    for i, (name, shape) in enumerate(shapes):
        n = 1
        for d in shape:
            n *= d
        for slot in ("momentum", "velocity"):
            optimizer.append(("optimizer/%d:%s/%s" % (i, name, slot), "F32", shape, floats(n, 0.01)))
    safetensors(os.path.join(HERE, "model_weights.safetensors"), weights + optimizer,
                {"format": "ember.weights", "model": "sequential", "weights": "4",
                 "optimizer": "adam"})
    safetensors(os.path.join(HERE, "dtypes.safetensors"),
                [("f64", "F64", [2], struct.pack("<2d", 1.5, -2.0)),
                 ("i32", "I32", [2, 2], struct.pack("<4i", 1, 2, 3, 4)),
                 ("u8", "U8", [3], bytes([1, 2, 250])),
                 ("empty", "F32", [0, 4], b"")], {})

    labels = bytes([0, 1, 2, 9, 4])
    with open(os.path.join(HERE, "labels.idx"), "wb") as f:
        f.write(struct.pack(">I", 0x00000801) + struct.pack(">I", len(labels)) + labels)
    images = bytes((7 * i) % 256 for i in range(2 * 3 * 4))
    image_file = struct.pack(">I", 0x00000803) + struct.pack(">3I", 2, 3, 4) + images
    with open(os.path.join(HERE, "images.idx"), "wb") as f:
        f.write(image_file)
    with open(os.path.join(HERE, "images_gz.idx"), "wb") as f:
        f.write(gzip.compress(image_file, mtime=0))


if __name__ == "__main__":
    main()
