// The fuzz targets (internal: fuzz/, tests/fuzz/): one function per file format ember reads,
// fed arbitrary bytes. A target returns when ember accepted the input or refused it with an
// ember::Error; anything else — another exception, a crash, a hang, an allocation the input
// merely claims — is a finding. libFuzzer runs them (fuzz/libfuzzer_entry.cpp, scripts/fuzz);
// the normal test suite replays their seeds and every finding kept in fuzz/corpus/
// (tests/fuzz/test_fuzz_regressions.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ember::fuzz {

struct Target {
  const char* name;
  /// Feeds `bytes` to the format's reader; throws only what the reader threw.
  void (*run)(std::string_view bytes);
};

/// Every target, in the order of fuzz/targets.txt (which also names their seeds).
const std::vector<Target>& targets();

/// The target called `name`; nullptr for none.
const Target* find_target(std::string_view name);

/// Runs `target` on `bytes`: true when the reader accepted them, false when it refused them with
/// an ember::Error; anything else is rethrown (a finding).
bool run_one(const Target& target, std::string_view bytes);

}  // namespace ember::fuzz
