"""Writes the pickle fixtures that tests/io/test_pickle.cpp reads (run with NumPy; the outputs are
committed, so the tests themselves never need Python):
    python tests/golden/make_pickle_fixtures.py tests/data/pickle

Every fixture is checked here by CPython's own unpickler (with NumPy) before it is written, so the
values the test asserts come from Python, not from the reader under test. The values are made by
formulas the test recomputes:

cifar10_py2.pkl    Python 2's pickle.dump(d, f, 2) of a CIFAR-10 batch, assembled by the Python 2
                   pickler below (Python 3 cannot write Python 2 str opcodes), keys in the real
                   files' order: b'batch_label' b'training batch 1 of 5'; b'labels' [6, 9, 4];
                   b'data' uint8 (3, 3072) with data[i, j] = (i * 3072 + j) * 7 % 256, stored as
                   a BINSTRING; b'filenames' three names (FILENAMES_10 below).
cifar100_py2.pkl   The same for CIFAR-100: b'filenames' (FILENAMES_100), b'batch_label'
                   b'training batch 1 of 1', b'fine_labels' [19, 29], b'coarse_labels' [11, 15],
                   b'data' uint8 (2, 3072) with data[i, j] = (i * 3072 + j) * 13 % 251.
two_arrays_py2.pkl Python 2 protocol 2 of {b'a': uint8 (2, 3) of 10 * i, b'b': uint8 (3,) of
                   [7, 8, 9], b'big': 4294967296 (an INT line at protocol 2 in Python 2),
                   b'note': u'caf\\xe9'}: the second array refers to the first one's globals and
                   dtype through the memo (BINGET).
mixed_pN.pkl       Python 3 pickle.dumps(MIXED, protocol=N), N = 0..5 (see mixed() below).
imdb_np_save.pkl   What np.save(f, x, allow_pickle=True) writes after the .npy header for an
                   object array of lists of ints (this NumPy: protocol 4); imdb_p3.pkl the same
                   at protocol 3 (NumPy 1.x). x[i] = [i * 10 + k for k in range(i % 4)], 5 rows.
memo_p2.pkl        pickle.dumps([S, S reversed, list(range(2500))], 2) with S 300 distinct str
                   's0'...'s299': LONG_BINPUT / LONG_BINGET past memo 255, APPENDS in batches.
"""
import io
import os
import pickle
import pickletools
import struct
import sys

import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/pickle"
os.makedirs(out, exist_ok=True)


# --- a Python 2.7 pickler (pickle.py's rules at protocol 2), for the values CIFAR holds ---------
# pickle.py memoizes every str, tuple, list, dict, global and reduced object, from index 0. (The
# real CIFAR files come from cPickle, which numbers from 1 and skips objects only it refers to;
# the reader does not care which.)
class Str:
    """A Python 2 str: pickled as SHORT_BINSTRING / BINSTRING, memoized by identity."""

    def __init__(self, b):
        self.b = b


class Unicode:
    def __init__(self, s):
        self.s = s


class Global:
    def __init__(self, module, name):
        self.module, self.name = module, name


class Reduced:
    """An object whose __reduce__ gives (func, args, state)."""

    def __init__(self, func, args, state):
        self.func, self.args, self.state = func, args, state


_chars = {}


def char(c):
    # Python 2 caches one-character strs: numpy's 'b' and '|' are the same object every time.
    return _chars.setdefault(c, Str(c))


RECONSTRUCT = Global("numpy.core.multiarray", "_reconstruct")
NDARRAY = Global("numpy", "ndarray")
DTYPE = Global("numpy", "dtype")
_dtypes = {}


def py2_dtype(a):
    # Builtin dtypes are singletons in numpy: a second uint8 array refers to the first one's.
    descr = a.dtype.str  # '|u1'
    if descr not in _dtypes:
        # Python 2 numpy: ('u1', 0, 1) with ints, state (3, order, None, None, None, -1, -1, 0).
        _dtypes[descr] = Reduced(DTYPE, (Str(descr[1:].encode()), 0, 1),
                                 tuple([3, char(descr[0].encode()), None, None, None, -1, -1, 0]))
    return _dtypes[descr]


def py2_array(a):
    """numpy's ndarray.__reduce__ in Python 2: _reconstruct(ndarray, (0,), 'b') + BUILD."""
    args = (NDARRAY, tuple([0]), char(b"b"))  # tuple([0]): a fresh (0,), as numpy makes it
    state = tuple([1, tuple(a.shape), py2_dtype(a), False, Str(a.tobytes())])
    return Reduced(RECONSTRUCT, args, state)


class Py2Pickler:
    def __init__(self):
        self.out = bytearray(b"\x80\x02")
        self.memo = {}

    def memoize(self, obj):
        i = len(self.memo)
        self.memo[id(obj)] = (i, obj)
        self.out += b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<i", i)

    def get(self, i):
        return b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<i", i)

    def save(self, obj):
        if obj is None:
            self.out += b"N"
        elif obj is True or obj is False:
            self.out += b"\x88" if obj else b"\x89"
        elif id(obj) in self.memo:
            self.out += self.get(self.memo[id(obj)][0])
        elif isinstance(obj, int):
            if 0 <= obj <= 0xFF:
                self.out += b"K" + bytes([obj])
            elif 0 <= obj <= 0xFFFF:
                self.out += b"M" + struct.pack("<H", obj)
            elif -(2**31) <= obj < 2**31:
                self.out += b"J" + struct.pack("<i", obj)
            else:  # a 64-bit Python 2 int beyond 32 bits: pickle.py writes it as text
                self.out += b"I" + str(obj).encode() + b"\n"
        elif isinstance(obj, Str):
            n = len(obj.b)
            self.out += (b"U" + bytes([n]) if n < 256 else b"T" + struct.pack("<i", n)) + obj.b
            self.memoize(obj)
        elif isinstance(obj, Unicode):
            e = obj.s.encode("utf-8")
            self.out += b"X" + struct.pack("<i", len(e)) + e
            self.memoize(obj)
        elif isinstance(obj, tuple):
            self.save_tuple(obj)
        elif isinstance(obj, list):
            self.out += b"]"
            self.memoize(obj)
            self.batch(obj, 1, b"a", b"e")
        elif isinstance(obj, dict):
            self.out += b"}"
            self.memoize(obj)
            self.batch([x for kv in obj.items() for x in kv], 2, b"s", b"u")
        elif isinstance(obj, Global):
            self.out += b"c" + obj.module.encode() + b"\n" + obj.name.encode() + b"\n"
            self.memoize(obj)
        elif isinstance(obj, Reduced):
            self.save(obj.func)
            self.save(obj.args)
            self.out += b"R"
            self.memoize(obj)
            self.save(obj.state)
            self.out += b"b"
        else:
            raise TypeError(obj)

    def save_tuple(self, t):
        if not t:
            self.out += b")"
            return
        if len(t) <= 3:
            for x in t:
                self.save(x)
            self.out += bytes([0x84 + len(t)])
        else:
            self.out += b"("
            for x in t:
                self.save(x)
            self.out += b"t"
        self.memoize(t)

    def batch(self, flat, per_item, one, many):
        # pickle.py's _batch_appends/_batch_setitems: MARK ... APPENDS per 1000, APPEND for one.
        for start in range(0, len(flat), 1000 * per_item):
            chunk = flat[start:start + 1000 * per_item]
            if len(chunk) > per_item:
                self.out += b"("
            for x in chunk:
                self.save(x)
            self.out += many if len(chunk) > per_item else one

    def dumps(self, obj):
        self.save(obj)
        return bytes(self.out + b".")


def py2_dumps(obj):
    return Py2Pickler().dumps(obj)


def write(name, data):
    for _ in pickletools.genops(data):  # a malformed pickle raises here
        pass
    with open(f"{out}/{name}", "wb") as f:
        f.write(data)


def same(a, b):
    """Equality that also compares numpy arrays (dtype, shape, values) inside containers."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape
                and (all(same(x, y) for x, y in zip(a.ravel(), b.ravel()))
                     if a.dtype == object else np.array_equal(a, b)))
    if isinstance(a, dict):
        return (isinstance(b, dict) and list(a) == list(b)
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    return type(a) is type(b) and a == b


# --- CIFAR-like batches, Python 2 -----------------------------------------------------------------
FILENAMES_10 = [b"leptodactylus_pentadactylus_s_000004.png", b"camion_s_000148.png",
                b"tipper_truck_s_001250.png"]
FILENAMES_100 = [b"bos_taurus_s_000507.png", b"stegosaurus_s_000125.png"]


def formula(rows, mul, mod):
    i = np.arange(rows * 3072, dtype=np.int64)
    return ((i * mul) % mod).astype(np.uint8).reshape(rows, 3072)


data10 = formula(3, 7, 256)
py2 = py2_dumps({Str(b"batch_label"): Str(b"training batch 1 of 5"),
                 Str(b"labels"): [6, 9, 4],
                 Str(b"data"): py2_array(data10),
                 Str(b"filenames"): [Str(f) for f in FILENAMES_10]})
assert same(pickle.loads(py2, encoding="bytes"),
            {b"batch_label": b"training batch 1 of 5", b"labels": [6, 9, 4], b"data": data10,
             b"filenames": FILENAMES_10})
write("cifar10_py2.pkl", py2)

data100 = formula(2, 13, 251)
py2 = py2_dumps({Str(b"filenames"): [Str(f) for f in FILENAMES_100],
                 Str(b"batch_label"): Str(b"training batch 1 of 1"),
                 Str(b"fine_labels"): [19, 29],
                 Str(b"coarse_labels"): [11, 15],
                 Str(b"data"): py2_array(data100)})
assert same(pickle.loads(py2, encoding="bytes"),
            {b"filenames": FILENAMES_100, b"batch_label": b"training batch 1 of 1",
             b"fine_labels": [19, 29], b"coarse_labels": [11, 15], b"data": data100})
write("cifar100_py2.pkl", py2)

a = (np.arange(6, dtype=np.uint8) * 10).reshape(2, 3)
b = np.array([7, 8, 9], dtype=np.uint8)
py2 = py2_dumps({char(b"a"): py2_array(a), char(b"b"): py2_array(b), Str(b"big"): 4294967296,
                 Str(b"note"): Unicode("caf\xe9")})
assert py2.count(b"cnumpy") == 3  # _reconstruct, ndarray and dtype: each written once
assert same(pickle.loads(py2, encoding="bytes"),
            {b"a": a, b"b": b, b"big": 4294967296, b"note": "caf\xe9"})
write("two_arrays_py2.pkl", py2)


# --- Python 3, every protocol ---------------------------------------------------------------------
def mixed():
    objects = np.empty(3, dtype=object)
    objects[0], objects[1], objects[2] = [1, 2, 3], [], [4, 5]
    shared = [1, 2]
    return {
        "uint8": np.array([(i * 37) % 256 for i in range(12)], dtype=np.uint8).reshape(3, 4),
        "int64": np.array([-(2**40), -1, 0, 1, 2**62], dtype=np.int64),
        "float32": (np.arange(6, dtype=np.float32) / 4 - 0.5).reshape(2, 3),
        "float64": np.array([0.1, -2.5]),
        "int8": np.array([-128, -1, 0, 127], dtype=np.int8),
        "bool": np.array([True, False, True]),
        "empty": np.zeros((0, 4), dtype=np.int32),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)),
        "objects": objects,
        "nested": [1, [2, [3, (4, 5)]], {"k": (None, True, False)}, ()],
        "ints": [0, 255, 256, 65535, 65536, -1, -(2**31), 2**31 - 1, 2**31, -(2**31) - 1, 2**62,
                 -(2**63), 2**63 - 1],
        "floats": [0.0, -1.5, 1e300, float("inf"), 3.141592653589793],
        "text": ["", "ascii", "h\xe9llo w\xf6rld", "\u65e5\u672c\u8a9e", "\U0001F600",
                 "back\\slash\nnewline"],
        "bytes": b"\x00\x01\xff",
        "blob": bytes((i * 7) % 256 for i in range(300)),
        "shared": [shared, shared],
    }


for protocol in range(6):
    data = pickle.dumps(mixed(), protocol=protocol)
    assert same(pickle.loads(data), mixed())
    write(f"mixed_p{protocol}.pkl", data)


def imdb_like():
    x = np.empty(5, dtype=object)
    for i in range(5):
        x[i] = [i * 10 + k for k in range(i % 4)]
    return x


f = io.BytesIO()
np.save(f, imdb_like(), allow_pickle=True)
f.seek(0)
version = np.lib.format.read_magic(f)
fmt = np.lib.format
(fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0)(f)  # skip it
data = f.read()
assert same(pickle.loads(data), imdb_like())
write("imdb_np_save.pkl", data)
data = pickle.dumps(imdb_like(), protocol=3)
write("imdb_p3.pkl", data)

strings = [f"s{i}" for i in range(300)]
memo_value = [strings, strings[::-1], list(range(2500))]
data = pickle.dumps(memo_value, protocol=2)
assert b"r" in data and b"j" in data and same(pickle.loads(data), memo_value)
write("memo_p2.pkl", data)

# --- hand-written snippets that tests/io/test_pickle.cpp holds inline, checked by CPython ---------
SNIPPETS = [
    (b"S'a\\x00b\\n\\'q'\n.", b"a\x00b\n'q"),                  # STRING with escapes (protocol 0)
    (b"(I00\nI01\nt(I-7\nL12345678901234567890L\nt\x86.", None),  # INT bools, LONG > int64
    (b"(I1\nI2\nl(S'k'\nI3\nd\x86.", ([1, 2], {b"k": 3})),     # LIST, DICT
    (b"\x80\x04\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc\x8d\x02\x00\x00\x00\x00\x00\x00\x00hi\x86.",
     (b"abc", "hi")),                                          # BINBYTES8, BINUNICODE8
    (b"K\x01K\x020K\x03(K\x04K\x051\x86.", (1, 3)),            # POP, POP_MARK
    (b"]2K\x01a\x86.", ([1], [1])),                            # DUP shares the list
    (b"K\x05p7\n0g7\n.", 5),                                   # PUT / GET with text keys
    (b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\xff.", -(2**63)),  # LONG1 with a sign byte
    (b"\x8a\x00\x8a\x02\xff\x7f\x8a\x01\xff\x87.", (0, 32767, -1)),
    (b"Vcaf\xe9 \\u65e5 \\\\u \\U0001f600\n.", "caf\xe9 \u65e5 \\\\u \U0001F600"),  # UNICODE
    (b"F-2.5\nF1e+300\nG\xc0\x04\x00\x00\x00\x00\x00\x00\x87.", (-2.5, 1e300, -2.5)),
]
for snippet, expected in SNIPPETS:
    value = pickle.loads(snippet, encoding="bytes")
    if expected is None:  # the LONG beyond int64: Python reads it, ember must refuse it
        assert value == ((False, True), (-7, 12345678901234567890)), value
    else:
        assert same(value, expected), (snippet, value)
print(f"wrote the pickle fixtures to {out}; {len(SNIPPETS)} inline snippets check out")
