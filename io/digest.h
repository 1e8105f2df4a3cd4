// Message digests of files, for checking downloads against the hashes data sets publish:
// SHA-256, and MD5 for the older hashes Keras still carries. Streams, so a 170 MB archive is
// hashed in 64 KiB reads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ember::io {

/// SHA-256 (FIPS 180-4), fed in pieces: `Sha256 h; h.update(a); h.update(b); h.hex_digest()`.
class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  /// The digest as 64 lowercase hex digits. Ends the hash: call update() no more afterwards.
  std::string hex_digest();

 private:
  void compress(const unsigned char* block);
  std::array<std::uint32_t, 8> state_;
  std::array<unsigned char, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

/// MD5 (RFC 1321), with the same interface; 32 hex digits. Only for checking published hashes.
class Md5 {
 public:
  Md5();
  void update(std::string_view bytes);
  std::string hex_digest();

 private:
  void compress(const unsigned char* block);
  std::array<std::uint32_t, 4> state_;
  std::array<unsigned char, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

/// "sha256" or "md5"; "auto" picks by the hash's length as Keras does (64 hex digits: sha256,
/// else md5). Throws ember::Error for any other name.
std::string resolve_hash_algorithm(const std::string& algorithm, const std::string& file_hash);

/// The hex digest of the file at `path` with "sha256" or "md5". Throws IoError naming the file
/// when it cannot be read.
std::string hash_file(const std::string& path, const std::string& algorithm);

}  // namespace ember::io
