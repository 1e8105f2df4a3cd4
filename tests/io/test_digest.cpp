// SHA-256 and MD5 against the published test vectors (FIPS 180-4's examples, RFC 1321's suite).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "io/digest.h"

namespace ember::io {
namespace {

std::string sha256_of(const std::string& text) {
  Sha256 hash;
  hash.update(text);
  return hash.hex_digest();
}

std::string md5_of(const std::string& text) {
  Md5 hash;
  hash.update(text);
  return hash.hex_digest();
}

TEST(Digest, Sha256MatchesFips180Examples) {
  EXPECT_EQ(sha256_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_of(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Digest, Md5MatchesRfc1321Suite) {
  EXPECT_EQ(md5_of(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_of("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(md5_of("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_of("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5_of("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(
      md5_of("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
      "57edf4a22be3c955ac49da2e2107b67a");
}

// Block boundaries must not matter: the 56-byte FIPS message (which pads into a second block)
// fed in two pieces split at every position gives the published digest each time.
TEST(Digest, PiecesSplitAnywhereGiveTheSameDigest) {
  const std::string message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (std::size_t cut = 0; cut <= message.size(); ++cut) {
    Sha256 sha;
    sha.update(message.substr(0, cut));
    sha.update(message.substr(cut));
    EXPECT_EQ(sha.hex_digest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        << "cut at " << cut;
  }
  const std::string digits =
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890";
  for (std::size_t cut = 0; cut <= digits.size(); ++cut) {
    Md5 md5;
    md5.update(digits.substr(0, cut));
    md5.update(digits.substr(cut));
    EXPECT_EQ(md5.hex_digest(), "57edf4a22be3c955ac49da2e2107b67a") << "cut at " << cut;
  }
}

TEST(Digest, HashFileReadsInChunksAndNamesAMissingFile) {
  const auto path = std::filesystem::temp_directory_path() / "ember_digest_million_a";
  std::ofstream(path, std::ios::binary) << std::string(1000000, 'a');
  EXPECT_EQ(hash_file(path.string(), "sha256"),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(hash_file(path.string(), "md5"), "7707d6ae4e027c70eea2a935c2296f21");
  std::filesystem::remove(path);
  try {
    hash_file(path.string(), "sha256");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("ember_digest_million_a"), std::string::npos) << e.what();
  }
}

TEST(Digest, AutoPicksTheAlgorithmByLengthAsKerasDoes) {
  EXPECT_EQ(resolve_hash_algorithm("auto", std::string(64, 'a')), "sha256");
  EXPECT_EQ(resolve_hash_algorithm("auto", std::string(32, 'a')), "md5");
  EXPECT_EQ(resolve_hash_algorithm("md5", std::string(64, 'a')), "md5");
  EXPECT_THROW(resolve_hash_algorithm("sha1", ""), Error);
}

}  // namespace
}  // namespace ember::io
