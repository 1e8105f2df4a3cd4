// What a benchmark ran on: figures from different machines (or sessions) are not comparable, so
// every benchmark prints the CPU model, its cores and the instruction sets ember's kernels use.
#pragma once

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace ember::bench {

inline void print_machine() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU", flags;
  while (std::getline(cpuinfo, line)) {
    const auto value = [&] { return line.substr(line.find(':') + 2); };
    if (line.rfind("model name", 0) == 0 && model == "unknown CPU") model = value();
    if (line.rfind("flags", 0) == 0 && flags.empty()) flags = value();
  }
  std::string shown;
  std::istringstream words(flags);
  for (std::string flag; words >> flag;)
    for (const char* wanted : {"avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile"})
      if (flag == wanted) shown += " " + flag;
  std::printf("machine: %s, %u hardware threads, flags:%s\n", model.c_str(),
              std::thread::hardware_concurrency(),
              shown.empty() ? " (none of note)" : shown.c_str());
}

}  // namespace ember::bench
