// Writing a file so that readers see either the old contents or the complete new ones.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace ember::io {

/// Calls write(stream) on a temporary file beside `path`, then renames it over `path`. On any
/// failure the temporary file is removed and IoError (naming `path`) is thrown.
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

/// Flushes the file at `path` to the disk (fsync), so that a rename after it never exposes a
/// name whose contents a crash could still lose. Throws IoError naming the file.
void sync_file(const std::string& path);

/// Flushes a folder's entries (a rename into it) to the disk. Best effort: some file systems
/// refuse to fsync a folder, and nothing is lost but durability then.
void sync_directory(const std::string& dir);

}  // namespace ember::io
