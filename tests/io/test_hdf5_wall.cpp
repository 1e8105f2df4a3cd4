// HDF5 behind a wall (io/hdf5.h, Hdf5Reader): a file that crashes libhdf5 is an IoError in the
// loading process, which goes on; a helper that hangs is stopped at the timeout; a reply that is
// not what the helper protocol allows is refused; the in-process reader gives the same tree.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/hdf5.h"
#include "tests/scoped_env.h"
#include "tests/test_support.h"

namespace ember {
namespace {

namespace fs = std::filesystem;
using testing::ScopedEnv;
using testing::TempDir;
using testing::values_of;

std::string fixture(const std::string& name) { return testing::test_data("keras_files/" + name); }

std::string crashing_file() {
  // A mutant of keras2_functional.h5 whose variable-length attribute points libhdf5's global
  // heap reader out of bounds (SIGSEGV in H5HG_read, libhdf5 1.10.8), kept as a fuzz finding.
  return std::string(EMBER_SOURCE_DIR) + "/fuzz/corpus/h5_model/vlen_attribute_heap_read_segv.h5";
}

/// Restores the reader settings at the end of a test.
struct ReaderSettings {
  io::Hdf5ReaderOptions saved = io::hdf5_reader();
  ~ReaderSettings() { io::set_hdf5_reader(saved); }
};

/// An executable shell script standing in for the helper.
std::string fake_helper(const TempDir& dir, const std::string& body) {
  const std::string path = dir / "fake-reader";
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

TEST(Hdf5Wall, AFileThatCrashesLibhdf5IsAnIoErrorAndThisProcessGoesOn) {
  if (!io::hdf5_available()) GTEST_SKIP() << "built without HDF5";
#if defined(__SANITIZE_ADDRESS__)
  // The sanitized helper's AddressSanitizer sees libhdf5 corrupt the heap before the segfault,
  // reports it and exits 1: the wall holds the same way, with another message.
  testing::expect_error<IoError>([] { keras::load_model(crashing_file()); },
                                 {"vlen_attribute_heap_read_segv.h5", "the HDF5 reader failed"});
#else
  testing::expect_error<IoError>(
      [] { keras::load_model(crashing_file()); },
      {"vlen_attribute_heap_read_segv.h5", "libhdf5 crashed", "Segmentation fault", "unaffected"});
#endif
  // The process is fine: the good file loads.
  auto model = keras::load_model(fixture("keras2_functional.h5"));
  EXPECT_FALSE(model->weights().empty());
}

TEST(Hdf5Wall, HelperAndInProcessReadersGiveTheSameTree) {
  if (!io::hdf5_available()) GTEST_SKIP() << "built without HDF5";
  const ReaderSettings restore;
  const io::H5Group walled = io::load_hdf5(fixture("stacked.weights.h5"));
  io::set_hdf5_reader({.reader = io::Hdf5Reader::in_process});
  const io::H5Group trusted = io::load_hdf5(fixture("stacked.weights.h5"));
  const std::function<void(const io::H5Group&, const io::H5Group&)> same =
      [&](const io::H5Group& a, const io::H5Group& b) {
        EXPECT_EQ(a.attributes, b.attributes);
        ASSERT_EQ(a.datasets.size(), b.datasets.size());
        for (const auto& [name, tensor] : a.datasets) {
          ASSERT_TRUE(b.datasets.contains(name)) << name;
          EXPECT_EQ(tensor.shape(), b.datasets.at(name).shape());
          EXPECT_EQ(tensor.dtype(), b.datasets.at(name).dtype());
          EXPECT_EQ(values_of(tensor), values_of(b.datasets.at(name)));
        }
        ASSERT_EQ(a.groups.size(), b.groups.size());
        for (const auto& [name, group] : a.groups) {
          ASSERT_TRUE(b.groups.contains(name)) << name;
          same(group, b.groups.at(name));
        }
      };
  same(walled, trusted);
  EXPECT_FALSE(walled.groups.empty());
}

TEST(Hdf5Wall, AHangingHelperIsStoppedAtTheTimeout) {
  if (!io::hdf5_available()) GTEST_SKIP() << "built without HDF5";
  const ReaderSettings restore;
  const TempDir dir;
  const ScopedEnv helper("EMBER_HDF5_READER", fake_helper(dir, "exec sleep 30"));
  io::set_hdf5_reader({.timeout_seconds = 0.5, .timeout_seconds_per_gigabyte = 0});
  const auto start = std::chrono::steady_clock::now();
  testing::expect_error<IoError>([] { io::load_hdf5(fixture("stacked.weights.h5")); },
                                 {"stacked.weights.h5", "longer than 0.5 s"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Hdf5Wall, RepliesOutsideTheProtocolAreRefused) {
  if (!io::hdf5_available()) GTEST_SKIP() << "built without HDF5";
  const TempDir dir;
  const struct {
    const char* body;
    const char* says;
  } cases[] = {
      {"cat > /dev/null; printf 'not a reply'", "not a reply of this ember's HDF5 reader"},
      // The magic, status ok, then a count of 2^64-1 attributes.
      {"cat > /dev/null; printf 'EMBERH5\\002\\000\\377\\377\\377\\377\\377\\377\\377\\377'",
       "past the end"},
      // The magic, then an error status whose message is cut short.
      {"cat > /dev/null; printf 'EMBERH5\\002\\001\\005\\000\\000\\000\\000\\000\\000\\000ab'",
       "past the end"},
      {"cat > /dev/null; exit 3", "exit status 3"},
      {"cat > /dev/null; kill -SEGV $$", "crashed"},
  };
  for (const auto& c : cases) {
    const ScopedEnv helper("EMBER_HDF5_READER", fake_helper(dir, c.body));
    testing::expect_error<IoError>([] { io::load_hdf5(fixture("stacked.weights.h5")); },
                                   {"stacked.weights.h5", c.says});
  }
  const ScopedEnv missing("EMBER_HDF5_READER", (dir / "nothing-here").c_str());
  testing::expect_error<IoError>([] { io::load_hdf5(fixture("stacked.weights.h5")); },
                                 {"EMBER_HDF5_READER", "not an executable"});
}

TEST(Hdf5Wall, TheHelperReportsLibhdf5sRefusalsAsTheirOwnErrors) {
  if (!io::hdf5_available()) GTEST_SKIP() << "built without HDF5";
  testing::expect_error<IoError>([] { io::load_hdf5_image("not HDF5 at all", "plain.h5"); },
                                 {"plain.h5", "not an HDF5 file"});
  EXPECT_THROW(io::set_hdf5_reader({.timeout_seconds = 0}), Error);
}

}  // namespace
}  // namespace ember
