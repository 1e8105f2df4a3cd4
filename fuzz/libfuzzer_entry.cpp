// libFuzzer's entry for one target, chosen when compiling (-DEMBER_FUZZ_TARGET="npy"): an
// ember::Error is the expected refusal; any other exception aborts, which libFuzzer records as a
// finding, as it does crashes, sanitizer reports, timeouts and allocations past -rss_limit_mb.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ember::fuzz::Target* target = ember::fuzz::find_target(EMBER_FUZZ_TARGET);
  if (target == nullptr) {
    std::fprintf(stderr, "no fuzz target named %s\n", EMBER_FUZZ_TARGET);
    std::abort();
  }
  try {
    ember::fuzz::run_one(*target, std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: a non-ember exception escaped: %s\n", EMBER_FUZZ_TARGET, e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "%s: a non-std exception escaped\n", EMBER_FUZZ_TARGET);
    std::abort();
  }
  return 0;
}
