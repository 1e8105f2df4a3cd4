// Zip archives (io/zip.h): deflated entries Python wrote, round trips of what ember writes, and
// hostile directories (#18): a claimed size deflate cannot give, entries that overlap (a zip
// bomb counting one deflated stream many times), repeated names and totals beyond the limits are
// IoErrors naming the archive, raised before anything is inflated.
#include <fstream>

#include "io/zip.h"
#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;
using testing::TempDir;

std::string fixture(const std::string& name) { return testing::test_data("keras_files/" + name); }
using testing::read_bytes;
using testing::write_bytes;

/// The offset of central directory entry `index` in an archive's bytes.
std::size_t central_entry(const std::string& zip, int index) {
  std::size_t at = zip.find("PK\x01\x02");
  for (int i = 0; i < index; ++i) at = zip.find("PK\x01\x02", at + 4);
  EXPECT_NE(at, std::string::npos);
  return at;
}

void put_u32(std::string& bytes, std::size_t at, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

TEST(Zip, ReadsDeflatedEntriesPythonWrote) {
  const std::vector<io::ZipEntry> entries = io::read_zip(fixture("deflated.zip"));
  ASSERT_EQ(entries.size(), 2u);
  std::string expected;
  for (int i = 0; i < 50; ++i) expected += "ember ";
  EXPECT_EQ(entries[0].name, "a.txt");
  EXPECT_EQ(entries[0].data, expected);
  EXPECT_EQ(entries[1].name, "empty.txt");
  EXPECT_EQ(entries[1].data, "");
}

TEST(Zip, WritesWhatItReadsBack) {
  const TempDir dir;
  const std::string binary("a\0b\xff\n", 5);
  io::write_zip(dir / "x.zip", {{"first.json", "{}"}, {"dir/binary", binary}, {"empty", ""}});
  const std::vector<io::ZipEntry> entries = io::read_zip(dir / "x.zip");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "first.json");
  EXPECT_EQ(entries[1].name, "dir/binary");
  EXPECT_EQ(entries[1].data, binary);
  EXPECT_EQ(entries[2].data, "");
  expect_error<IoError>([&] { io::read_zip(dir / "none.zip"); }, {"none.zip", "no such file"});
}

TEST(Zip, AClaimedSizeBeyondWhatDeflateCanGiveIsRefused) {
  // A 100-byte entry whose directory claims almost 4 GiB: refused before allocating.
  expect_error<IoError>([&] { io::read_zip(fixture("bad_claimed_size.zip")); },
                        {"bad_claimed_size.zip", "claim 4294967280 bytes"});
}

TEST(Zip, OverlappingEntriesAndRepeatedNamesAreRefused) {
  const TempDir dir;
  io::write_zip(dir / "two.zip", {{"a.json", "{\"a\": 1}"}, {"b.json", "{\"b\": 2}"}});
  // The second directory entry points at the first one's bytes.
  std::string overlapping = read_bytes(dir / "two.zip");
  put_u32(overlapping, central_entry(overlapping, 1) + 42, 0);
  write_bytes(dir / "overlap.zip", overlapping);
  expect_error<IoError>([&] { io::read_zip(dir / "overlap.zip"); },
                        {"overlap.zip", "entries 'a.json' and 'b.json' overlap"});

  io::write_zip(dir / "twice.zip", {{"config.json", "{}"}, {"config.json", "[]"}});
  expect_error<IoError>([&] { io::read_zip(dir / "twice.zip"); },
                        {"twice.zip", "two entries are named 'config.json'"});

  // Data running past the end of the file.
  std::string past_end = read_bytes(dir / "two.zip");
  put_u32(past_end, central_entry(past_end, 1) + 20, 1u << 20);  // compressed size
  write_bytes(dir / "past_end.zip", past_end);
  expect_error<IoError>([&] { io::read_zip(dir / "past_end.zip"); }, {"past_end.zip", "truncated"});
}

TEST(Zip, TotalsBeyondTheLimitsAreRefused) {
  const TempDir dir;
  io::write_zip(dir / "x.zip", {{"a", std::string(600, 'a')}, {"b", std::string(600, 'b')}});
  expect_error<IoError>([&] { io::read_zip(dir / "x.zip", {.max_total_bytes = 1000}); },
                        {"x.zip", "claim more than 1000 bytes in all"});
  EXPECT_EQ(io::read_zip(dir / "x.zip", {.max_total_bytes = 1200}).size(), 2u);
  // 300 bytes deflated into a ~200-byte archive: more than once its size.
  expect_error<IoError>([&] { io::read_zip(fixture("deflated.zip"), {.max_ratio = 1}); },
                        {"deflated.zip", "more than 1 times its size"});
}

}  // namespace
}  // namespace ember
