// utils::get_file against a loopback HTTP server the test starts: downloads, hashes, the cache,
// redirects, failures, and archives hostile and sound. Nothing here touches the network.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "io/data/archive.h"
#include "io/data/download.h"
#include "io/data/get_file.h"
#include "io/zip.h"
#include "tests/io/data/archive_fixtures.h"
#include "tests/io/data/loopback_http_server.h"
#include "tests/scoped_env.h"
#include "tests/test_support.h"

namespace ember::utils {
namespace {

namespace fs = std::filesystem;
using ember::testing::expect_error;
using ember::testing::gzip;
using ember::testing::HttpReply;
using ember::testing::LoopbackHttpServer;
using ember::testing::tar_end;
using ember::testing::tar_entry;
using ember::testing::TarEntry;

// FIPS 180-4's example: SHA-256("abc").
constexpr const char* kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// RFC 1321: MD5("abc").
constexpr const char* kAbcMd5 = "900150983cd24fb0d6963f7d28e17f72";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Everything under `dir`, as paths relative to it (an empty list: nothing was left).
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    names.push_back(entry.path().lexically_relative(dir).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class GetFile : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!io::downloads_available()) GTEST_SKIP() << "built without libcurl";
    cache_ = fs::temp_directory_path() /
             ("ember_get_file_" + std::to_string(getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(cache_);
  }
  void TearDown() override { fs::remove_all(cache_); }

  GetFileOptions options(const std::string& path, const std::string& hash = "") {
    GetFileOptions o;
    o.origin = server_.url(path);
    o.file_hash = hash;
    o.cache_dir = cache_.string();
    o.connect_timeout_s = 5;
    o.idle_timeout_s = 5;
    return o;
  }

  LoopbackHttpServer server_;
  fs::path cache_;
};

TEST_F(GetFile, DownloadsIntoTheCacheAndChecksTheHash) {
  server_.serve("/data/abc.txt", {.body = "abc"});
  const std::string path = get_file(options("/data/abc.txt", kAbcSha256));
  EXPECT_EQ(path, (cache_ / "datasets" / "abc.txt").string());
  EXPECT_EQ(read_text(path), "abc");
  EXPECT_EQ(listing(cache_ / "datasets"), std::vector<std::string>{"abc.txt"});
  // Keras' older MD5 hashes check the same way.
  GetFileOptions md5 = options("/data/abc.txt", kAbcMd5);
  md5.fname = "abc-md5.txt";
  EXPECT_EQ(read_text(get_file(md5)), "abc");
}

TEST_F(GetFile, ASecondCallIsServedFromTheCacheWithoutARequest) {
  server_.serve("/abc", {.body = "abc"});
  GetFileOptions o = options("/abc", kAbcSha256);
  o.fname = "abc.txt";
  get_file(o);
  get_file(o);
  EXPECT_EQ(server_.requests("/abc"), 1);
  // Without a hash, the copy in the cache is trusted as it is.
  o.file_hash = "";
  get_file(o);
  EXPECT_EQ(server_.requests("/abc"), 1);
  // force_download fetches again.
  o.force_download = true;
  get_file(o);
  EXPECT_EQ(server_.requests("/abc"), 2);
}

TEST_F(GetFile, ACachedCopyWithTheWrongHashIsDownloadedAgain) {
  server_.serve("/abc", {.body = "abc"});
  fs::create_directories(cache_ / "datasets");
  std::ofstream(cache_ / "datasets" / "abc") << "stale";
  EXPECT_EQ(read_text(get_file(options("/abc", kAbcSha256))), "abc");
  EXPECT_EQ(server_.requests("/abc"), 1);
}

TEST_F(GetFile, AWrongHashIsAnErrorAndLeavesNothing) {
  server_.serve("/abc", {.body = "abd"});
  expect_error<IoError>([&] { get_file(options("/abc", kAbcSha256)); },
                        {server_.url("/abc"), std::string("expected ") + kAbcSha256, "by hand"});
  EXPECT_EQ(listing(cache_ / "datasets"), std::vector<std::string>{});
}

TEST_F(GetFile, ATransferCutShortIsAnErrorAndLeavesNothing) {
  server_.serve("/big", {.body = std::string(1 << 20, 'x'), .cut_after = 1000});
  expect_error<IoError>([&] { get_file(options("/big")); }, {"closed the connection"});
  EXPECT_EQ(listing(cache_ / "datasets"), std::vector<std::string>{});
}

TEST_F(GetFile, AStalledServerTimesOut) {
  server_.serve("/stall", {.body = "abc", .stall_ms = 5000});
  GetFileOptions o = options("/stall");
  o.idle_timeout_s = 1;
  expect_error<IoError>([&] { get_file(o); }, {"timed out"});
  EXPECT_EQ(listing(cache_ / "datasets"), std::vector<std::string>{});
}

TEST_F(GetFile, FollowsRedirects) {
  server_.serve("/old/abc", {.status = 302, .location = server_.url("/new/abc")});
  server_.serve("/new/abc", {.body = "abc"});
  EXPECT_EQ(read_text(get_file(options("/old/abc", kAbcSha256))), "abc");
  EXPECT_EQ(server_.requests("/old/abc"), 1);
  EXPECT_EQ(server_.requests("/new/abc"), 1);
}

TEST_F(GetFile, ARedirectToTheLocalDiskIsRefused) {
  server_.serve("/sneaky", {.status = 302, .location = "file:///etc/passwd"});
  GetFileOptions o = options("/sneaky");
  expect_error<IoError>([&] { get_file(o); }, {server_.url("/sneaky")});
  EXPECT_EQ(listing(cache_ / "datasets"), std::vector<std::string>{});
}

TEST_F(GetFile, HttpErrorsNameTheUrlAndTheStatus) {
  server_.serve("/broken", {.status = 500, .body = "oops"});
  for (const auto& [path, status] :
       {std::pair<std::string, std::string>{"/missing", "404"}, {"/broken", "500"}}) {
    // Where to put the file by hand, and its hash.
    expect_error<IoError>([&] { get_file(options(path, kAbcSha256)); },
                          {server_.url(path), "HTTP status " + status,
                           (cache_ / "datasets").string(), std::string(kAbcSha256)});
  }
  EXPECT_EQ(listing(cache_ / "datasets"), std::vector<std::string>{});
}

TEST_F(GetFile, AnUnreachableServerSaysSo) {
  GetFileOptions o = options("/x");
  o.origin = "http://127.0.0.1:" + std::to_string(ember::testing::closed_port()) + "/x.tar.gz";
  expect_error<IoError>([&] { get_file(o); }, {"could not connect", o.origin});
}

TEST_F(GetFile, ReadsFileUrls) {
  fs::create_directories(cache_);
  std::ofstream(cache_ / "source.txt") << "abc";
  GetFileOptions o = options("/unused", kAbcSha256);
  o.origin = "file://" + (cache_ / "source.txt").string();
  EXPECT_EQ(read_text(get_file(o)), "abc");
}

TEST_F(GetFile, RejectsBadArguments) {
  GetFileOptions o = options("/abc");
  for (const char* path : {"a/b", "..", "."}) {
    o.fname = path;
    EXPECT_THROW(get_file(o), Error) << path;
  }
  o.fname = "";
  o.origin = "";
  EXPECT_THROW(get_file(o), Error);
  o = options("/");
  EXPECT_THROW(get_file(o), Error);  // no name in the URL
  o = options("/abc");
  o.hash_algorithm = "sha1";
  EXPECT_THROW(get_file(o), Error);
  o = options("/abc");
  o.archive_format = "rar";
  EXPECT_THROW(get_file(o), Error);
}

TEST_F(GetFile, EmberHomeIsTheDefaultCache) {
  server_.serve("/abc.txt", {.body = "abc"});
  const ember::testing::ScopedEnv home("EMBER_HOME", (cache_ / "home").string());
  GetFileOptions o = options("/abc.txt");
  o.cache_dir = "";
  const std::string path = get_file(o);
  EXPECT_EQ(path, (cache_ / "home" / "datasets" / "abc.txt").string());
}

// --- archives ---------------------------------------------------------------------------------

std::string sound_tar() {
  return tar_entry({.name = "set/", .type = '5'}) +
         tar_entry({.name = "set/a.txt", .body = "alpha"}) +
         tar_entry({.name = "set/sub/b.txt", .body = std::string(1500, 'b')}) +
         tar_entry({.name = "set/link", .type = '2', .link = "a.txt"}) +
         tar_entry({.name = "set/hard", .type = '1', .link = "set/a.txt"}) + tar_end();
}

TEST_F(GetFile, ExtractsATarGzIntoItsFolder) {
  server_.serve("/set.tar.gz", {.body = gzip(sound_tar())});
  GetFileOptions o = options("/set.tar.gz");
  o.fname = "set-target";  // no dot: the folder's name, the archive beside it as "_archive"
  o.extract = true;
  const std::string folder = get_file(o);
  EXPECT_EQ(folder, (cache_ / "datasets" / "set-target").string());
  EXPECT_EQ(read_text(fs::path(folder) / "set" / "a.txt"), "alpha");
  EXPECT_EQ(read_text(fs::path(folder) / "set" / "sub" / "b.txt"), std::string(1500, 'b'));
  EXPECT_EQ(fs::read_symlink(fs::path(folder) / "set" / "link"), "a.txt");
  EXPECT_EQ(read_text(fs::path(folder) / "set" / "hard"), "alpha");
  EXPECT_EQ(
      listing(cache_ / "datasets"),
      (std::vector<std::string>{"set-target", "set-target/set", "set-target/set/a.txt",
                                "set-target/set/hard", "set-target/set/link", "set-target/set/sub",
                                "set-target/set/sub/b.txt", "set-target_archive"}));
  // A second call neither downloads nor unpacks again.
  fs::remove(fs::path(folder) / "set" / "a.txt");
  get_file(o);
  EXPECT_EQ(server_.requests("/set.tar.gz"), 1);
  EXPECT_FALSE(fs::exists(fs::path(folder) / "set" / "a.txt"));
}

TEST_F(GetFile, ANameWithADotNamesTheArchiveAndTheFolderIsExtracted) {
  server_.serve("/set.tar", {.body = sound_tar()});
  GetFileOptions o = options("/set.tar");
  o.fname = "set.tar";
  o.extract = true;
  EXPECT_EQ(get_file(o), (cache_ / "datasets" / "set_extracted").string());
  EXPECT_TRUE(fs::exists(cache_ / "datasets" / "set.tar"));
}

TEST_F(GetFile, ExtractsAZip) {
  const fs::path zip = cache_ / "made.zip";
  fs::create_directories(cache_);
  io::write_zip(zip.string(), {{"inner/x.txt", "xyz"}, {"y.txt", "why"}});
  std::ifstream in(zip, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  server_.serve("/z.zip", {.body = bytes.str()});
  GetFileOptions o = options("/z.zip");
  o.extract = true;
  const fs::path folder = get_file(o);
  EXPECT_EQ(read_text(folder / "inner" / "x.txt"), "xyz");
  EXPECT_EQ(read_text(folder / "y.txt"), "why");
  o.archive_format = "tar";
  o.fname = "z2";
  expect_error<IoError>([&] { get_file(o); }, {"expected a tar archive, got a zip archive"});
}

TEST_F(GetFile, NotAnArchiveIsAnError) {
  server_.serve("/plain", {.body = "just text"});
  GetFileOptions o = options("/plain");
  o.extract = true;
  expect_error<IoError>([&] { get_file(o); }, {"expected a tar or zip archive, got neither"});
}

struct Hostile {
  const char* what;
  std::string tar;
  const char* says;
};

TEST_F(GetFile, HostileArchivesAreRefusedAndLeaveNothing) {
  const fs::path outside = cache_ / "outside";
  const std::vector<Hostile> cases = {
      {"traversal",
       tar_entry({.name = "ok.txt", .body = "fine"}) +
           tar_entry({.name = "../outside/evil.txt", .body = "evil"}) + tar_end(),
       "leaves the target folder"},
      {"deep traversal", tar_entry({.name = "a/b/../../../evil.txt", .body = "evil"}) + tar_end(),
       "leaves the target folder"},
      {"absolute path",
       tar_entry({.name = outside.string() + "/evil.txt", .body = "evil"}) + tar_end(), "absolute"},
      {"symlink out",
       tar_entry({.name = "link", .type = '2', .link = "../../outside"}) +
           tar_entry({.name = "link/evil.txt", .body = "evil"}) + tar_end(),
       "symbolic link"},
      {"absolute symlink", tar_entry({.name = "link", .type = '2', .link = "/etc"}) + tar_end(),
       "symbolic link"},
      {"hard link out",
       tar_entry({.name = "hard", .type = '1', .link = "../outside/x"}) + tar_end(), "hard link"},
      {"device", tar_entry({.name = "dev", .type = '3'}) + tar_end(), "device"},
      {"claims 8 GiB",
       tar_entry({.name = "huge", .body = "tiny", .claimed_size = 8LL << 30}) + tar_end(),
       "claims 8589934592 bytes"},
      {"truncated", sound_tar().substr(0, 1300), "truncated"},
  };
  for (const Hostile& hostile : cases) {
    SCOPED_TRACE(hostile.what);
    fs::remove_all(cache_);
    fs::create_directories(outside);
    server_.serve("/h.tar", {.body = gzip(hostile.tar)});
    GetFileOptions o = options("/h.tar");
    o.fname = "h";
    o.extract = true;
    o.max_extracted_bytes = 1 << 20;
    expect_error<IoError>([&] { get_file(o); }, {hostile.says});
    // The archive stays (its hash was fine), but no folder, whole or partial.
    EXPECT_EQ(listing(cache_ / "datasets"), std::vector<std::string>{"h_archive"});
    EXPECT_EQ(listing(outside), std::vector<std::string>{});
  }
}

TEST_F(GetFile, TheExtractedSizeIsCapped) {
  // Claims nothing in advance (a zip's streamed entry would not either): counted as written.
  const std::string tar = tar_entry({.name = "a", .body = std::string(600000, 'a')}) +
                          tar_entry({.name = "b", .body = std::string(600000, 'b')}) + tar_end();
  server_.serve("/big.tar.gz", {.body = gzip(tar)});
  GetFileOptions o = options("/big.tar.gz");
  o.fname = "big";
  o.extract = true;
  o.max_extracted_bytes = 1000000;
  expect_error<IoError>([&] { get_file(o); }, {"beyond the limit"});
  EXPECT_EQ(listing(cache_ / "datasets"), std::vector<std::string>{"big_archive"});
}

}  // namespace
}  // namespace ember::utils
