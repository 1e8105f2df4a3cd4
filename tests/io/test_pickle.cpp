// Pickles: fixtures written by CPython and NumPy, or by a Python 2 pickler checked by CPython's
// unpickler (tests/golden/make_pickle_fixtures.py, which states the formulas recomputed here);
// inline snippets that the same script checks CPython reads as asserted; and hostile input.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "io/pickle.h"
#include "tests/test_support.h"

namespace ember {
namespace {

using io::PickleValue;
using Kind = PickleValue::Kind;
using testing::expect_error;

std::string read_fixture(const std::string& name) {
  const char* dir = std::getenv("EMBER_TEST_DATA");
  const std::string path = std::string(dir ? dir : "tests/data") + "/pickle/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

PickleValue read(const std::string& name) { return io::read_pickle(read_fixture(name), name); }

// A literal with its NUL bytes: bytes("a\0b") has 3. Literals below are split where a hex escape
// would swallow the next character: "\x01" "a" is two bytes, "\x01a" one.
template <std::size_t N>
std::string bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

std::string le(std::uint64_t v, int n) {
  std::string out;
  for (int k = 0; k < n; ++k) out += static_cast<char>((v >> (8 * k)) & 0xff);
  return out;
}

PickleValue parse(const std::string& pickle, const io::PickleLimits& limits = {}) {
  return io::read_pickle(pickle, "x.pkl", limits);
}

void expect_parse_error(const std::string& pickle, std::initializer_list<std::string> fragments,
                        const io::PickleLimits& limits = {}) {
  std::vector<std::string> all = {"x.pkl: byte "};
  all.insert(all.end(), fragments);
  try {
    parse(pickle, limits);
    ADD_FAILURE() << "expected an IoError";
  } catch (const IoError& e) {
    for (const auto& fragment : all) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "message \"" << e.what() << "\" lacks \"" << fragment << "\"";
    }
  }
}

std::vector<std::int64_t> ints(const PickleValue& list) {
  EXPECT_EQ(list.kind, Kind::list);
  std::vector<std::int64_t> out;
  for (const PickleValue& v : list.items) out.push_back(v.as_int("test"));
  return out;
}

std::vector<std::string> texts(const PickleValue& list, Kind kind) {
  std::vector<std::string> out;
  for (const PickleValue& v : list.items) {
    EXPECT_EQ(v.kind, kind);
    out.push_back(v.text);
  }
  return out;
}

std::vector<std::string> keys(const PickleValue& dict) {
  std::vector<std::string> out;
  for (std::size_t k = 0; k < dict.items.size(); k += 2) out.push_back(dict.items[k].text);
  return out;
}

// data[i, j] = (i * 3072 + j) * mul % mod, as the script makes CIFAR-like images.
void expect_images(const PickleValue& data, std::int64_t rows, int mul, int mod) {
  ASSERT_EQ(data.kind, Kind::ndarray);
  EXPECT_EQ(data.dtype, "|u1");
  EXPECT_EQ(data.shape, (std::vector<std::int64_t>{rows, 3072}));
  EXPECT_FALSE(data.fortran_order);
  ASSERT_EQ(data.data.size(), static_cast<std::size_t>(rows * 3072));
  std::vector<std::uint8_t> expected;
  for (std::int64_t k = 0; k < rows * 3072; ++k) expected.push_back((k * mul) % mod);
  EXPECT_EQ(std::vector<std::uint8_t>(data.data.begin(), data.data.end()), expected);
  const Tensor t = io::pickle_array_to_tensor(data, "data");
  EXPECT_EQ(t.dtype(), uint8);
  EXPECT_EQ(t.shape(), Shape({rows, 3072}));
  EXPECT_EQ(t.to_vector<std::uint8_t>(), expected);
}

class Pickle : public ::testing::Test {
 protected:
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(Pickle, ReadsACifar10BatchAsPython2WroteIt) {
  const PickleValue batch = read("cifar10_py2.pkl");
  ASSERT_EQ(batch.kind, Kind::dict);
  EXPECT_EQ(keys(batch), (std::vector<std::string>{"batch_label", "labels", "data", "filenames"}));
  for (std::size_t k = 0; k < batch.items.size(); k += 2) {
    EXPECT_EQ(batch.items[k].kind, Kind::bytes);  // a Python 2 str
  }
  EXPECT_EQ(batch.at("batch_label", "f").kind, Kind::bytes);
  EXPECT_EQ(batch.at("batch_label", "f").text, "training batch 1 of 5");
  EXPECT_EQ(ints(batch.at("labels", "f")), (std::vector<std::int64_t>{6, 9, 4}));
  expect_images(batch.at("data", "f"), 3, 7, 256);
  EXPECT_EQ(texts(batch.at("filenames", "f"), Kind::bytes),
            (std::vector<std::string>{"leptodactylus_pentadactylus_s_000004.png",
                                      "camion_s_000148.png", "tipper_truck_s_001250.png"}));
  EXPECT_EQ(batch.find("fine_labels"), nullptr);
  EXPECT_EQ(batch.at("labels", "f").find("x"), nullptr);  // not a dict
  expect_error<IoError>([&] { batch.at("fine_labels", "data_batch_1"); },
                        {"data_batch_1", "fine_labels"});
}

TEST_F(Pickle, ReadsACifar100BatchAsPython2WroteIt) {
  const PickleValue batch = read("cifar100_py2.pkl");
  EXPECT_EQ(keys(batch), (std::vector<std::string>{"filenames", "batch_label", "fine_labels",
                                                   "coarse_labels", "data"}));
  EXPECT_EQ(texts(batch.at("filenames", "f"), Kind::bytes),
            (std::vector<std::string>{"bos_taurus_s_000507.png", "stegosaurus_s_000125.png"}));
  EXPECT_EQ(batch.at("batch_label", "f").text, "training batch 1 of 1");
  EXPECT_EQ(ints(batch.at("fine_labels", "f")), (std::vector<std::int64_t>{19, 29}));
  EXPECT_EQ(ints(batch.at("coarse_labels", "f")), (std::vector<std::int64_t>{11, 15}));
  expect_images(batch.at("data", "f"), 2, 13, 251);
}

TEST_F(Pickle, SecondArrayReachesGlobalsAndDtypeThroughTheMemo) {
  const PickleValue v = read("two_arrays_py2.pkl");
  const PickleValue& a = v.at("a", "f");
  EXPECT_EQ(a.dtype, "|u1");
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.data, bytes("\x00\x0a\x14\x1e\x28\x32"));
  const PickleValue& b = v.at("b", "f");
  EXPECT_EQ(b.dtype, "|u1");
  EXPECT_EQ(b.shape, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(b.data, "\x07\x08\x09");
  EXPECT_EQ(v.at("big", "f").as_int("f"), std::int64_t{4294967296});  // an INT line
  EXPECT_EQ(v.at("note", "f").kind, Kind::string);
  EXPECT_EQ(v.at("note", "f").text, "caf\xc3\xa9");
}

// MIXED in make_pickle_fixtures.py, at each protocol.
void expect_mixed(const PickleValue& v) {
  ASSERT_EQ(v.kind, Kind::dict);
  EXPECT_EQ(v.items.size(), 2u * 16);
  EXPECT_EQ(v.items[0].kind, Kind::string);
  const auto tensor = [&](const char* key) {
    return io::pickle_array_to_tensor(v.at(key, "f"), key);
  };

  const PickleValue& u8 = v.at("uint8", "f");
  EXPECT_EQ(u8.dtype, "|u1");
  EXPECT_EQ(u8.shape, (std::vector<std::int64_t>{3, 4}));
  std::vector<std::uint8_t> expected_u8;
  for (int i = 0; i < 12; ++i) expected_u8.push_back((i * 37) % 256);
  EXPECT_EQ(tensor("uint8").to_vector<std::uint8_t>(), expected_u8);
  EXPECT_EQ(v.at("int64", "f").dtype, "<i8");
  EXPECT_EQ(tensor("int64").to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-(std::int64_t{1} << 40), -1, 0, 1, std::int64_t{1} << 62}));
  EXPECT_EQ(tensor("float32").shape(), Shape({2, 3}));
  EXPECT_EQ(tensor("float32").to_vector<float>(),
            (std::vector<float>{-0.5f, -0.25f, 0.f, 0.25f, 0.5f, 0.75f}));
  EXPECT_EQ(tensor("float64").to_vector<double>(), (std::vector<double>{0.1, -2.5}));
  EXPECT_EQ(v.at("int8", "f").dtype, "|i1");
  EXPECT_EQ(tensor("int8").dtype(), int32);
  EXPECT_EQ(tensor("int8").to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{-128, -1, 0, 127}));
  EXPECT_EQ(tensor("bool").to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(v.at("empty", "f").dtype, "<i4");
  EXPECT_EQ(v.at("empty", "f").data, "");
  EXPECT_EQ(tensor("empty").shape(), Shape({0, 4}));
  const PickleValue& fortran = v.at("fortran", "f");
  EXPECT_TRUE(fortran.fortran_order);
  EXPECT_EQ(fortran.data.substr(8, 8), le(3, 8));  // column-major: 0, 3, 1, 4, 2, 5
  EXPECT_EQ(tensor("fortran").to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));

  const PickleValue& objects = v.at("objects", "f");
  EXPECT_EQ(objects.dtype, "|O");
  EXPECT_EQ(objects.shape, (std::vector<std::int64_t>{3}));
  ASSERT_EQ(objects.items.size(), 3u);
  EXPECT_EQ(ints(objects.items[0]), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(ints(objects.items[1]), (std::vector<std::int64_t>{}));
  EXPECT_EQ(ints(objects.items[2]), (std::vector<std::int64_t>{4, 5}));
  expect_error<IoError>([&] { tensor("objects"); }, {"objects", "|O"});

  // [1, [2, [3, (4, 5)]], {'k': (None, True, False)}, ()]
  const PickleValue& nested = v.at("nested", "f");
  ASSERT_EQ(nested.items.size(), 4u);
  EXPECT_EQ(nested.items[0].integer, 1);
  const PickleValue& inner = nested.items[1].items[1];
  EXPECT_EQ(inner.items[0].integer, 3);
  EXPECT_EQ(inner.items[1].kind, Kind::tuple);
  EXPECT_EQ(inner.items[1].items[1].integer, 5);
  const PickleValue& k = nested.items[2].at("k", "f");
  ASSERT_EQ(k.kind, Kind::tuple);
  EXPECT_EQ(k.items[0].kind, Kind::none);
  EXPECT_EQ(k.items[1].kind, Kind::boolean);
  EXPECT_TRUE(k.items[1].boolean);
  EXPECT_FALSE(k.items[2].boolean);
  EXPECT_EQ(nested.items[3].kind, Kind::tuple);
  EXPECT_TRUE(nested.items[3].items.empty());

  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(
      ints(v.at("ints", "f")),
      (std::vector<std::int64_t>{0, 255, 256, 65535, 65536, -1, -2147483648LL, 2147483647,
                                 2147483648LL, -2147483649LL, std::int64_t{1} << 62, kMin, kMax}));
  const PickleValue& floats = v.at("floats", "f");
  ASSERT_EQ(floats.items.size(), 5u);
  EXPECT_EQ(floats.items[0].floating, 0.0);
  EXPECT_EQ(floats.items[1].floating, -1.5);
  EXPECT_EQ(floats.items[2].floating, 1e300);
  EXPECT_TRUE(std::isinf(floats.items[3].floating));
  EXPECT_EQ(floats.items[4].floating, 3.141592653589793);
  EXPECT_EQ(texts(v.at("text", "f"), Kind::string),
            (std::vector<std::string>{"", "ascii", "h\xc3\xa9llo w\xc3\xb6rld",
                                      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xf0\x9f\x98\x80",
                                      "back\\slash\nnewline"}));
  EXPECT_EQ(v.at("bytes", "f").kind, Kind::bytes);
  EXPECT_EQ(v.at("bytes", "f").text, bytes("\x00\x01\xff"));
  std::string blob;
  for (int i = 0; i < 300; ++i) blob += static_cast<char>((i * 7) % 256);
  EXPECT_EQ(v.at("blob", "f").text, blob);
  // [shared, shared]: the second reference sees what was appended after the first.
  const PickleValue& shared = v.at("shared", "f");
  ASSERT_EQ(shared.items.size(), 2u);
  EXPECT_EQ(ints(shared.items[0]), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(ints(shared.items[1]), (std::vector<std::int64_t>{1, 2}));
}

TEST_F(Pickle, ReadsWhatPython3WritesAtEveryProtocol) {
  for (int protocol = 0; protocol <= 5; ++protocol) {
    SCOPED_TRACE(cat("protocol ", protocol));
    expect_mixed(read(cat("mixed_p", protocol, ".pkl")));
  }
}

TEST_F(Pickle, ReadsObjectArraysAsNpSaveWritesThem) {
  for (const char* name : {"imdb_np_save.pkl", "imdb_p3.pkl"}) {
    SCOPED_TRACE(name);
    const PickleValue x = read(name);
    ASSERT_EQ(x.kind, Kind::ndarray);
    EXPECT_EQ(x.dtype, "|O");
    EXPECT_EQ(x.shape, (std::vector<std::int64_t>{5}));
    ASSERT_EQ(x.items.size(), 5u);
    for (int i = 0; i < 5; ++i) {
      std::vector<std::int64_t> expected;
      for (int k = 0; k < i % 4; ++k) expected.push_back(i * 10 + k);
      EXPECT_EQ(ints(x.items[i]), expected) << "row " << i;
    }
  }
}

// compact_int_lists keeps lists of ints as `integers`; the values are the same, and a list that
// holds anything else, or nothing, stays as items.
TEST_F(Pickle, CompactIntListsHoldTheSameInts) {
  io::PickleLimits compact;
  compact.compact_int_lists = true;
  const PickleValue x = io::read_pickle(read_fixture("imdb_np_save.pkl"), "imdb", compact);
  ASSERT_EQ(x.items.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    std::vector<std::int64_t> expected;
    for (int k = 0; k < i % 4; ++k) expected.push_back(i * 10 + k);
    const PickleValue& row = x.items[static_cast<std::size_t>(i)];
    EXPECT_EQ(row.int_values("imdb"), expected) << "row " << i;
    EXPECT_EQ(row.size(), expected.size());
    EXPECT_EQ(row.items.empty() ? row.integers : std::vector<std::int64_t>{}, expected);
  }
  const PickleValue cifar = io::read_pickle(read_fixture("cifar10_py2.pkl"), "cifar", compact);
  EXPECT_EQ(cifar.at("labels", "cifar").integers, (std::vector<std::int64_t>{6, 9, 4}));
  EXPECT_TRUE(cifar.at("filenames", "cifar").integers.empty());
  EXPECT_EQ(cifar.at("filenames", "cifar").size(), 3u);
  EXPECT_THROW(cifar.at("filenames", "cifar").int_values("cifar"), IoError);
}

TEST_F(Pickle, ReadsLongMemoIndicesAndBatchedAppends) {
  const PickleValue v = read("memo_p2.pkl");
  ASSERT_EQ(v.items.size(), 3u);
  std::vector<std::string> strings;
  for (int i = 0; i < 300; ++i) strings.push_back(cat("s", i));
  EXPECT_EQ(texts(v.items[0], Kind::string), strings);
  EXPECT_EQ(texts(v.items[1], Kind::string),
            std::vector<std::string>(strings.rbegin(), strings.rend()));
  std::vector<std::int64_t> range;
  for (int i = 0; i < 2500; ++i) range.push_back(i);
  EXPECT_EQ(ints(v.items[2]), range);
}

// The snippets of make_pickle_fixtures.py: opcodes Python 3 does not write, read by CPython as
// asserted there.
TEST_F(Pickle, ReadsProtocol0AndRareOpcodesAsCPythonDoes) {
  EXPECT_EQ(parse("S'a\\x00b\\n\\'q'\n.").text, bytes("a\0b\n'q"));
  expect_parse_error("(I00\nI01\nt(I-7\nL12345678901234567890L\nt\x86.",
                     {"byte 15", "0x4c LONG", "does not fit in int64"});
  const PickleValue list_dict = parse("(I1\nI2\nl(S'k'\nI3\nd\x86.");
  EXPECT_EQ(ints(list_dict.items[0]), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(list_dict.items[1].at("k", "f").integer, 3);
  const PickleValue wide =
      parse(bytes("\x80\x04\x8e\x03\x00\x00\x00\x00\x00\x00\x00"
                  "abc\x8d\x02\x00\x00\x00\x00\x00\x00\x00"
                  "hi\x86."));
  EXPECT_EQ(wide.items[0].kind, Kind::bytes);
  EXPECT_EQ(wide.items[0].text, "abc");
  EXPECT_EQ(wide.items[1].kind, Kind::string);
  EXPECT_EQ(wide.items[1].text, "hi");
  const PickleValue popped = parse(
      "K\x01K\x02"
      "0K\x03(K\x04K\x05"
      "1\x86.");
  EXPECT_EQ(popped.items[0].integer, 1);
  EXPECT_EQ(popped.items[1].integer, 3);
  const PickleValue dup = parse(
      "]2K\x01"
      "a\x86.");
  EXPECT_EQ(ints(dup.items[0]), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(ints(dup.items[1]), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(parse("K\x05p7\n0g7\n.").integer, 5);
  EXPECT_EQ(parse(bytes("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\xff.")).integer,
            std::numeric_limits<std::int64_t>::min());
  const PickleValue longs = parse(bytes("\x8a\x00\x8a\x02\xff\x7f\x8a\x01\xff\x87."));
  EXPECT_EQ(longs.items[0].integer, 0);
  EXPECT_EQ(longs.items[1].integer, 32767);
  EXPECT_EQ(longs.items[2].integer, -1);
  EXPECT_EQ(parse("Vcaf\xe9 \\u65e5 \\\\u \\U0001f600\n.").text,
            "caf\xc3\xa9 \xe6\x97\xa5 \\\\u \xf0\x9f\x98\x80");
  const PickleValue floats = parse(bytes("F-2.5\nF1e+300\nG\xc0\x04\x00\x00\x00\x00\x00\x00\x87."));
  EXPECT_EQ(floats.items[0].floating, -2.5);
  EXPECT_EQ(floats.items[1].floating, 1e300);
  EXPECT_EQ(floats.items[2].floating, -2.5);
}

TEST_F(Pickle, EveryTruncationIsAnError) {
  for (const char* name : {"cifar10_py2.pkl", "cifar100_py2.pkl", "two_arrays_py2.pkl",
                           "mixed_p0.pkl", "mixed_p1.pkl", "mixed_p2.pkl", "mixed_p3.pkl",
                           "mixed_p4.pkl", "mixed_p5.pkl", "imdb_np_save.pkl", "memo_p2.pkl"}) {
    const std::string whole = read_fixture(name);
    int failures = 0;
    for (std::size_t n = 0; n < whole.size() && failures < 3; ++n) {
      try {
        io::read_pickle(std::string_view(whole).substr(0, n), name);
        ADD_FAILURE() << name << " cut to " << n << " bytes was read without an error";
        ++failures;
      } catch (const IoError& e) {
        const std::string message = e.what();
        if (message.find(name) != 0 || message.find("truncated") == std::string::npos) {
          ADD_FAILURE() << name << " cut to " << n << " bytes: " << message;
          ++failures;
        }
      }
    }
    EXPECT_NO_THROW(io::read_pickle(whole, name));
  }
}

// Every byte of a pickle set to a few other values: read, or an IoError, never anything else.
TEST_F(Pickle, CorruptBytesAreReadOrRefusedWithIoError) {
  for (const char* name : {"mixed_p2.pkl", "mixed_p4.pkl", "two_arrays_py2.pkl"}) {
    const std::string whole = read_fixture(name);
    int failures = 0;
    for (std::size_t at = 0; at < whole.size() && failures < 3; ++at) {
      for (const char c : {'\0', '\x7f', '\xff', 'a', '(', 'h'}) {
        std::string corrupt = whole;
        corrupt[at] = c;
        try {
          io::read_pickle(corrupt, name);
        } catch (const IoError&) {
        } catch (const std::exception& e) {
          ADD_FAILURE() << name << " with byte " << at << " set to " << int(c) << ": " << e.what();
          ++failures;
        }
      }
    }
  }
}

TEST_F(Pickle, LengthsBeyondTheDataAreErrorsBeforeAnyAllocation) {
  const std::uint64_t huge = std::uint64_t{1} << 62;
  expect_parse_error(bytes("\x80\x04\x8e") + le(huge, 8) + "abc",
                     {"byte 2", "0x8e BINBYTES8", "claims 4611686018427387904 bytes, 3 remain"});
  expect_parse_error(bytes("\x80\x04\x8d") + le(huge, 8) + "abc",
                     {"0x8d BINUNICODE8", "claims 4611686018427387904 bytes"});
  expect_parse_error(bytes("\x80\x05\x96") + le(huge, 8), {"0x96 BYTEARRAY8", "0 remain"});
  expect_parse_error("X" + le(0xffffffff, 4) + "abc", {"0x58 BINUNICODE", "claims 4294967295"});
  expect_parse_error("B" + le(0xffffffff, 4), {"0x42 BINBYTES", "claims 4294967295"});
  expect_parse_error("T" + le(0x7fffffff, 4), {"0x54 BINSTRING", "claims 2147483647"});
  expect_parse_error("T" + le(0xffffffff, 4), {"0x54 BINSTRING", "negative"});
  expect_parse_error(bytes("\x8b") + le(0x7fffffff, 4), {"0x8b LONG4", "claims 2147483647"});
  expect_parse_error(bytes("\x80\x04\x95") + le(huge, 8) + "N.", {"0x95 FRAME", "claims"});
  expect_parse_error(bytes("U\x05"
                           "abc"),
                     {"0x55 SHORT_BINSTRING", "truncated", "needs 5"});
}

TEST_F(Pickle, ForbiddenGlobalsAreErrors) {
  expect_parse_error("cos\nsystem\n(S'echo hi'\ntR.",
                     {"byte 0", "0x63 GLOBAL", "forbidden global 'os.system'"});
  expect_parse_error("cposix\nsystem\n.", {"forbidden global 'posix.system'"});
  expect_parse_error(bytes("\x80\x04\x8c\x08"
                           "builtins\x8c\x04"
                           "eval\x93."),
                     {"0x93 STACK_GLOBAL", "forbidden global 'builtins.eval'"});
  expect_parse_error("c__builtin__\neval\n.", {"'__builtin__.eval'"});
  expect_parse_error("ccopy_reg\n_reconstructor\n.", {"'copy_reg._reconstructor'"});
  expect_parse_error("cnumpy\nload\n.", {"'numpy.load'"});
  expect_parse_error("cnumpy.core.multiarray\nscalar\n.", {"'numpy.core.multiarray.scalar'"});
  // Control bytes in a name are escaped in the message.
  expect_parse_error("cos\x1b[2J\nsystem\n.", {"'os\\x1b[2J.system'"});
  // An allowed global used otherwise than numpy does.
  expect_parse_error("cnumpy\nndarray\n)R.", {"0x52 REDUCE", "numpy.ndarray may only be"});
  expect_parse_error("cnumpy\ndtype\n.", {"byte 13", "STOP", "expected data", "numpy.dtype"});
  expect_parse_error("K\x01)R.", {"REDUCE", "expected an allow-listed global", "int"});
  expect_parse_error("c_codecs\nencode\n(Vx\nVutf-8\ntR.", {"expected encoding 'latin1'"});
  expect_parse_error("c_codecs\nencode\n(V\\u0100\nVlatin1\ntR.", {"code point 256"});
}

TEST_F(Pickle, UnknownAndForbiddenOpcodesAreErrors) {
  expect_parse_error(bytes("\x80\x02\xff"), {"byte 2", "(opcode 0xff)", "unknown opcode"});
  expect_parse_error("i__builtin__\nobject\n.", {"byte 0", "0x69 INST", "forbidden opcode"});
  expect_parse_error("(o.", {"0x6f OBJ", "forbidden"});
  expect_parse_error("\x81.", {"0x81 NEWOBJ", "forbidden"});
  expect_parse_error("P1\n.", {"0x50 PERSID", "forbidden"});
  expect_parse_error("\x82\x01.", {"0x82 EXT1", "forbidden"});
  expect_parse_error("\x8f.", {"0x8f EMPTY_SET", "forbidden"});
  expect_parse_error("\x97.", {"0x97 NEXT_BUFFER", "forbidden"});
  expect_parse_error(bytes("\x80\x06N."), {"0x80 PROTO", "unsupported protocol 6"});
}

TEST_F(Pickle, StackAndMemoMistakesAreErrors) {
  expect_parse_error("a.", {"byte 0", "0x61 APPEND", "stack underflow", "stack is empty"});
  expect_parse_error("](a.", {"byte 2", "APPEND", "stack underflow", "above the last MARK"});
  expect_parse_error("R.", {"REDUCE", "stack underflow"});
  expect_parse_error(".", {"STOP", "found 0 values"});
  expect_parse_error("NN.", {"STOP", "found 2 values"});
  expect_parse_error("(N.", {"STOP", "1 MARKs"});
  expect_parse_error("N.N", {"1 bytes follow STOP"});
  expect_parse_error(bytes("\x80\x02h\x05."), {"0x68 BINGET", "memo index 5 not found"});
  expect_parse_error(bytes("\x80\x02Nq\x00j\x00\x01\x00\x00."),
                     {"LONG_BINGET", "memo index 256 not found", "holds 1 entries"});
  expect_parse_error("g12\n.", {"0x67 GET", "memo index 12 not found"});
  expect_parse_error("Np1x\n.", {"0x70 PUT", "expected a memo index, found '1x'"});
  expect_parse_error(bytes("q\x00."), {"BINPUT", "stack underflow"});
  expect_parse_error(
      "]K\x01K\x02"
      "e.",
      {"0x65 APPENDS", "MARK missing"});
  expect_parse_error("K\x01t.", {"TUPLE", "MARK missing"});
  expect_parse_error("1.", {"POP_MARK", "MARK missing"});
  expect_parse_error("}(K\x01K\x02K\x03u.", {"0x75 SETITEMS", "in pairs", "found 3 values"});
  expect_parse_error(
      "(K\x01"
      "d.",
      {"0x64 DICT", "in pairs", "found 1 values"});
  expect_parse_error("K\x01K\x02K\x03s.", {"0x73 SETITEM", "expected a dict", "int"});
  expect_parse_error(
      "NK\x01"
      "a.",
      {"APPEND", "expected a list to append to, found None"});
  expect_parse_error("Ifoo\n.", {"0x49 INT", "expected a decimal int, found 'foo'"});
  expect_parse_error("I12", {"INT", "truncated", "no end"});
  expect_parse_error("F1.5x\n.", {"0x46 FLOAT", "expected a float"});
  expect_parse_error("S'abc\n.", {"0x53 STRING", "expected a quoted string"});
  expect_parse_error(bytes("X\x02\x00\x00\x00\xc3\x28."), {"BINUNICODE", "malformed UTF-8"});
  expect_parse_error(bytes("X\x02\x00\x00\x00\xc0\x80."), {"malformed UTF-8"});  // overlong
  expect_parse_error("V\\u12\n.", {"UNICODE", "\\u escape"});
}

TEST_F(Pickle, RecursionAndExpansionAreBounded) {
  // [[[...]]] 10000 deep: EMPTY_LIST 10000 times, then APPEND each into the one below.
  const std::string deep = "\x80\x02" + std::string(10000, ']') + std::string(9999, 'a') + ".";
  expect_parse_error(deep, {"STOP", "nests deeper than max_depth (64)"});
  const std::string thousand = "\x80\x02" + std::string(1000, ']') + std::string(999, 'a') + ".";
  expect_parse_error(thousand, {"STOP", "nests deeper than max_depth (64)"});
  io::PickleLimits deeper;
  deeper.max_depth = 999;
  const PickleValue v = parse(thousand, deeper);
  int depth = 0;
  for (const PickleValue* p = &v; !p->items.empty(); p = &p->items[0]) ++depth;
  EXPECT_EQ(depth, 999);
  deeper.max_depth = 998;
  expect_parse_error(thousand, {"STOP", "nests deeper than max_depth (998)"}, deeper);

  expect_parse_error(bytes("\x80\x02]q\x00h\x00"
                           "a."),
                     {"STOP", "the value contains itself", "list"});

  // t_k = (t_{k-1}, t_{k-1}) through the memo: 3 * 2^40 values in 250 bytes.
  std::string laughs = bytes("\x80\x02N\x85q\x00") + "0";
  for (int k = 1; k <= 40; ++k) {
    laughs += std::string("h") + char(k - 1) + "h" + char(k - 1) + "\x86q" + char(k);
    if (k < 40) laughs += "0";
  }
  expect_parse_error(laughs + ".", {"STOP", "3298534883327 values, above max_items (67108864)"});

  // A 1 MB bytes object referred to 20 times: 20 MB, above a 10 MB limit.
  std::string copies =
      bytes("\x80\x03]q\x00") + "B" + le(1 << 20, 4) + std::string(1 << 20, 'x') + "q\x01" + "0(";
  for (int k = 0; k < 20; ++k) copies += bytes("h\x01");
  io::PickleLimits small;
  small.max_bytes = 10 << 20;
  expect_parse_error(copies + "e.", {"20971520 bytes, above max_bytes (10485760)"}, small);
  EXPECT_EQ(parse(copies + "e.").items.size(), 20u);  // the default allows it

  io::PickleLimits few;
  few.max_items = 10;
  expect_parse_error("(" + std::string(20, 'N') + "l.", {"builds more than max_items (10)"}, few);
}

// A protocol-3 pickle of a numpy array laid out as numpy writes one (mixed_p3.pkl): shape ops,
// then dtype(descr) BUILD (3, order, None, names, fields, -1, -1, 0), then the data bytes.
std::string numpy_pickle(const std::string& shape, const std::string& descr,
                         const std::string& order, const std::string& data,
                         const std::string& names_fields = "NN") {
  return bytes(
             "\x80\x03"
             "cnumpy._core.multiarray\n_reconstruct\nq\x00"
             "cnumpy\nndarray\nq\x01"
             "K\x00\x85q\x02"
             "C\x01"
             "bq\x03\x87q\x04Rq\x05(K\x01") +
         shape + "cnumpy\ndtype\nX" + le(descr.size(), 4) + descr + "\x89\x88\x87R(K\x03X" +
         le(order.size(), 4) + order + "N" + names_fields +
         bytes(
             "J\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89"
             "B") +
         le(data.size(), 4) + data + "tb.";
}

TEST_F(Pickle, ArraysWhoseShapeDtypeAndDataDisagreeAreErrors) {
  const std::string two_by_three = "K\x02K\x03\x86";
  const PickleValue ok = parse(numpy_pickle(two_by_three, "i2", "<", std::string(12, '\1')));
  EXPECT_EQ(ok.dtype, "<i2");
  EXPECT_EQ(ok.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(parse(numpy_pickle(two_by_three, "f4", "=", std::string(24, '\0'))).dtype, "<f4");

  expect_parse_error(numpy_pickle(two_by_three, "u1", "|", "12345"),
                     {"0x62 BUILD", "ndarray data holds 5 bytes, 6 elements of |u1 need 6"});
  expect_parse_error(numpy_pickle(two_by_three, "i8", "<", std::string(6, '\0')),
                     {"6 elements of <i8 need 48"});
  expect_parse_error(numpy_pickle(bytes("K\x02J\xff\xff\xff\xff\x86"), "u1", "|", ""),
                     {"expected shape entries >= 0, found -1"});
  const std::string two_to_62 = "\x8a\x08" + le(std::uint64_t{1} << 62, 8);
  expect_parse_error(numpy_pickle(two_to_62 + "K\x04\x86", "u1", "|", ""),
                     {"element count overflows"});
  expect_parse_error(numpy_pickle(two_to_62 + "\x85", "i8", "<", ""), {"byte count overflows"});
  expect_parse_error(numpy_pickle(two_by_three, "u1", "|", "123456", "(Vx\ntN"), {"record dtypes"});
  expect_parse_error(numpy_pickle(two_by_three, "M8", "<", ""), {"unsupported numpy dtype 'M8'"});
  expect_parse_error(numpy_pickle(two_by_three, "u1", "!", "123456"), {"byte order"});
  expect_parse_error(numpy_pickle("K\x02\x85", "O8", "|", ""), {"object array's list"});
  // _reconstruct without BUILD is no value.
  expect_parse_error(bytes("\x80\x03"
                           "cnumpy._core.multiarray\n_reconstruct\n"
                           "cnumpy\nndarray\n"
                           "K\x00\x85"
                           "C\x01"
                           "b\x87R."),
                     {"STOP", "BUILD state"});
}

TEST_F(Pickle, TensorsComeOnlyFromPlainLittleEndianArrays) {
  const PickleValue big = parse(numpy_pickle("K\x02\x85", "i4", ">", std::string(8, '\0')));
  EXPECT_EQ(big.dtype, ">i4");
  expect_error<IoError>([&] { io::pickle_array_to_tensor(big, "a.pkl"); }, {"a.pkl", "'>i4'"});
  expect_error<IoError>([&] { io::pickle_array_to_tensor(parse("K\x01."), "a.pkl"); },
                        {"a.pkl", "expected a numpy array, found a int"});
  PickleValue bad_bool = parse(numpy_pickle("K\x02\x85", "b1", "|", "\x01\x02"));
  expect_error<IoError>([&] { io::pickle_array_to_tensor(bad_bool, "a.pkl"); }, {"0 or 1"});
  bad_bool.data = "\x01";  // edited after reading: the size no longer fits the shape
  expect_error<IoError>([&] { io::pickle_array_to_tensor(bad_bool, "a.pkl"); },
                        {"1 bytes do not fit its shape (2,)"});
  PickleValue deep =
      parse(numpy_pickle("(K\x01K\x01K\x01K\x01K\x01K\x01K\x01K\x01K\x01t", "u1", "|", "\x07"));
  expect_error<IoError>([&] { io::pickle_array_to_tensor(deep, "a.pkl"); }, {"rank 9"});
}

}  // namespace
}  // namespace ember
