// The fuzz targets (fuzz/fuzz_targets.h) in the normal test suite: every seed and every finding
// kept in fuzz/corpus/<target>/ replayed, then deterministic mutants of each seed — bit flips,
// bytes set to 0x00/0xFF/0x7F/0x80, truncations, growth — fed to the target. Each must be
// accepted or refused with an ember::Error; a crash, hang or other exception fails the test.
// (libFuzzer's open-ended search is scripts/fuzz.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "fuzz/fuzz_targets.h"
#include "tests/test_support.h"

namespace ember {
namespace {

namespace fs = std::filesystem;

std::string test_data() {
  const char* dir = std::getenv("EMBER_TEST_DATA");  // set by CTest
  return dir ? dir : "tests/data";
}

std::string read_bytes(const fs::path& path) { return testing::read_bytes(path.string()); }

/// The files a seed pattern names: "dir/*.npy" (a glob in the last part) or one file.
std::vector<fs::path> expand(const std::string& pattern) {
  const fs::path full = fs::path(test_data()) / pattern;
  const std::string name = full.filename().string();
  if (name.find('*') == std::string::npos) return {full};
  const std::size_t star = name.find('*');
  const std::string prefix = name.substr(0, star), suffix = name.substr(star + 1);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(full.parent_path())) {
    const std::string candidate = entry.path().filename().string();
    if (candidate.size() >= prefix.size() + suffix.size() && candidate.starts_with(prefix) &&
        candidate.ends_with(suffix))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// The seed patterns of `target` in fuzz/targets.txt.
std::vector<std::string> seed_patterns(const std::string& target) {
  std::ifstream in(fs::path(EMBER_FUZZ_DIR) / "targets.txt");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string name, pattern;
    words >> name;
    if (name != target) continue;
    std::vector<std::string> patterns;
    while (words >> pattern) patterns.push_back(pattern);
    return patterns;
  }
  return {};
}

std::vector<fs::path> seeds_of(const fuzz::Target& target) {
  std::vector<fs::path> files;
  for (const std::string& pattern : seed_patterns(target.name))
    for (const fs::path& file : expand(pattern)) files.push_back(file);
  return files;
}

/// The findings kept in fuzz/corpus/<target>/ (replayed as they are: a hang's mutants would
/// mostly hang too, at the HDF5 wall's timeout each).
std::vector<fs::path> findings_of(const fuzz::Target& target) {
  std::vector<fs::path> files;
  const fs::path kept = fs::path(EMBER_FUZZ_DIR) / "corpus" / target.name;
  if (fs::is_directory(kept))
    for (const auto& entry : fs::directory_iterator(kept)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

/// Feeds `bytes` to the target, counting acceptances; a failure names the input.
void expect_clean(const fuzz::Target& target, const std::string& bytes, const std::string& what,
                  int& accepted) {
  try {
    if (fuzz::run_one(target, bytes)) ++accepted;
  } catch (const std::exception& e) {
    ADD_FAILURE() << target.name << ", " << what << ": a non-ember exception: " << e.what();
  }
}

/// Deterministic mutants of `seed`, `count` of them.
std::vector<std::string> mutants(const std::string& seed, int count, std::uint32_t key) {
  std::mt19937 random(key);
  std::vector<std::string> out;
  if (seed.empty()) return out;
  const auto position = [&] {
    return std::uniform_int_distribution<std::size_t>(0, seed.size() - 1)(random);
  };
  const unsigned char specials[] = {0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE};
  for (int i = 0; i < count; ++i) {
    std::string m = seed;
    switch (i % 5) {
      case 0:  // one to four bit flips
        for (int flips = 1 + i % 4; flips > 0; --flips)
          m[position()] ^= static_cast<char>(1u << (random() % 8));
        break;
      case 1:  // a byte set to a boundary value
        m[position()] = static_cast<char>(specials[random() % std::size(specials)]);
        break;
      case 2:  // four bytes set to a large value (a size, an offset, a count)
        if (m.size() >= 4) {
          const std::size_t at = position() % (m.size() - 3);
          const std::uint32_t v = (random() % 2) ? 0xFFFFFFFFu : 0x7FFFFFF0u;
          std::memcpy(&m[at], &v, 4);
        }
        break;
      case 3:  // truncated
        m.resize(position());
        break;
      case 4:  // a chunk repeated or garbage appended
        m.append(m.substr(position(), 64));
        break;
    }
    out.push_back(std::move(m));
  }
  return out;
}

class FuzzTargets : public ::testing::TestWithParam<std::string> {};

TEST_P(FuzzTargets, SeedsKeptFindingsAndMutantsAreAcceptedOrRefusedCleanly) {
  const fuzz::Target* target = fuzz::find_target(GetParam());
  ASSERT_NE(target, nullptr);
  const std::vector<fs::path> seeds = seeds_of(*target), findings = findings_of(*target);
  ASSERT_FALSE(seeds.empty()) << "no seeds for " << target->name;
  int inputs = 0, accepted = 0;
  for (const fs::path& file : findings) {
    expect_clean(*target, read_bytes(file), file.string(), accepted);
    ++inputs;
  }
  for (const fs::path& file : seeds) {
    const std::string bytes = read_bytes(file);
    expect_clean(*target, bytes, file.string(), accepted);
    ++inputs;
    std::uint32_t key = 0;
    for (char c : file.filename().string()) key = key * 31 + static_cast<unsigned char>(c);
    int n = 0;
    for (const std::string& mutant : mutants(bytes, 60, key)) {
      expect_clean(*target, mutant, cat(file.filename().string(), " mutant ", n++), accepted);
      ++inputs;
    }
  }
  std::cout << "[ fuzz replay ] " << target->name << ": " << seeds.size() << " seeds, "
            << findings.size() << " kept findings, " << inputs << " inputs: " << accepted
            << " accepted, " << inputs - accepted << " refused with an ember::Error\n";
}

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const fuzz::Target& target : fuzz::targets()) names.emplace_back(target.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, FuzzTargets, ::testing::ValuesIn(target_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ember
