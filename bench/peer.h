// Running a peer framework (PyTorch) beside an ember benchmark, in the same run.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>

namespace ember::bench {

/// The first Python that imports `module`: $<env_variable>, python3, /usr/bin/python3 (Debian's
/// python3-torch lives there when python3 is another interpreter). Empty when none does.
inline std::string python_with(const std::string& module, const char* env_variable) {
  const char* from_env = std::getenv(env_variable);
  const std::string candidates[] = {from_env ? from_env : "", "python3", "/usr/bin/python3"};
  for (const std::string& python : candidates) {
    if (python.empty()) continue;
    const std::string probe = python + " -c 'import " + module + "' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return python;
  }
  return "";
}

/// Runs `python script args` and parses its "name value" lines.
inline std::map<std::string, double> run_peer(const std::string& python, const std::string& script,
                                              const std::string& args) {
  std::map<std::string, double> results;
  const std::string command = python + " " + script + " " + args + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return results;
  char line[512];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::istringstream in(line);
    std::string name;
    double value;
    if (in >> name >> value) results[name] = value;
  }
  pclose(pipe);
  return results;
}

}  // namespace ember::bench
