"""Writes the 16-bit fixtures that tests/io/test_half_files.cpp reads, with NumPy and h5py (and
ml_dtypes' bfloat16, which TensorFlow installs); the outputs are committed, so the tests never
need Python:
    python tests/golden/make_half_fixtures.py tests/data/half
The safetensors file is framed by hand from the format's definition (8-byte little-endian header
length, a JSON header, the raw data), so no ember code takes part in making it.
"""
import json
import struct
import sys

import h5py
import ml_dtypes
import numpy as np

out = sys.argv[1]
values = np.array([[0.1, -2.5, 65504.0], [1e-7, -0.0, 3.0]], dtype=np.float32)

np.save(f"{out}/float16_2x3.npy", values.astype(np.float16))

with h5py.File(f"{out}/float16.h5", "w") as f:
    f.create_dataset("dense/kernel", data=values.astype(np.float16))

# Big-endian float16: not what ember reads (it says so rather than misreading the bits).
with h5py.File(f"{out}/float16_big_endian.h5", "w") as f:
    f.create_dataset("x", data=values.astype(">f2"))

half = values.astype(np.float16).tobytes()
brain = values.astype(ml_dtypes.bfloat16).tobytes()
header = {
    "h": {"dtype": "F16", "shape": [2, 3], "data_offsets": [0, len(half)]},
    "b": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [len(half), len(half) + len(brain)]},
}
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(f"{out}/half.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + half + brain)

# The bits the tests expect, printed for the test source.
print("float16 bits:", [hex(b) for b in values.astype(np.float16).view(np.uint16).ravel()])
print("bfloat16 bits:", [hex(b) for b in values.astype(ml_dtypes.bfloat16).view(np.uint16).ravel()])
