// Writing a file so that readers see either the old contents or the complete new ones.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace ember::io {

/// Calls write(stream) on a temporary file beside `path`, then renames it over `path`. On any
/// failure the temporary file is removed and IoError (naming `path`) is thrown.
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace ember::io
