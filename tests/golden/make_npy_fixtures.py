"""Writes the .npy fixtures that tests/io/test_npy.cpp reads (run with NumPy; the outputs are
committed, so the tests themselves never need NumPy):
    python tests/golden/make_npy_fixtures.py tests/data
"""
import sys
import numpy as np

out = sys.argv[1]
np.save(f"{out}/float32_2x3.npy", (np.arange(6, dtype=np.float32) / 10).reshape(2, 3))
np.save(f"{out}/int64_4.npy", np.array([-2, 0, 7, 1 << 40], dtype=np.int64))
np.save(f"{out}/bool_3.npy", np.array([True, False, True]))
np.save(f"{out}/uint8_2x2.npy", np.array([[0, 1], [254, 255]], dtype=np.uint8))
np.save(f"{out}/float64_scalar.npy", np.float64(2.5))
np.save(f"{out}/int32_empty.npy", np.zeros((0, 4), dtype=np.int32))
np.save(f"{out}/fortran.npy", np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.save(f"{out}/bigendian.npy", np.ones(3, dtype=">f4"))
np.save(f"{out}/complex.npy", np.ones(2, dtype=np.complex64))
