// Writing files and folders so that readers see either the old contents or the complete new ones,
// whenever the writer is killed, and so that what a killed writer left behind is cleaned up.
//
// A temporary sits beside its target as "<name>.<kind>-<digits>" (kind: tmp, saving or old) and
// is held under an exclusive flock while its writer lives. The kernel drops the lock when the
// process dies, so the next save of the same target can tell a killed save's leftovers (unlocked)
// from a save still running in another process (locked) and removes only the former.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace ember::io {

/// Calls write(stream) on a claimed temporary file beside `path`, flushes it to the disk, renames
/// it over `path` and flushes the folder; then removes stale temporaries of `path`. On any failure
/// the temporary file is removed and IoError (naming `path`) is thrown.
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

/// Flushes the file at `path` to the disk (fsync), so that a rename after it never exposes a
/// name whose contents a crash could still lose. Throws IoError naming the file.
void sync_file(const std::string& path);

/// Flushes a folder's entries (a rename into it) to the disk. Best effort: some file systems
/// refuse to fsync a folder, and nothing is lost but durability then.
void sync_directory(const std::string& dir);

/// An exclusive flock on a file or folder, held until destruction (see the top of this file).
class TemporaryClaim {
 public:
  enum class Create { no, new_file };
  /// Claims `path`, or creates it as a new empty file (failing if it exists) and claims it at
  /// once. Throws IoError naming `path` if it cannot be opened or locked.
  explicit TemporaryClaim(const std::filesystem::path& path, Create create = Create::no);
  ~TemporaryClaim();
  TemporaryClaim(const TemporaryClaim&) = delete;
  TemporaryClaim& operator=(const TemporaryClaim&) = delete;

 private:
  int fd_ = -1;
};

/// A fresh name for a temporary of `target`: "<target>.<kind>-<digits>".
std::filesystem::path temporary_name(const std::filesystem::path& target, const char* kind);

/// Removes the temporaries of `target` ("<name>.tmp-*", ".saving-*", ".old-*", ".trash-*") that no
/// live process holds. Best effort, never throws; returns how many it removed.
int remove_stale_temporaries(const std::filesystem::path& target);

/// Puts the complete folder `staging` (a temporary of `target`, claimed by the caller) at
/// `target`, replacing the folder there if any, so that `target` names the old or the new folder
/// at every instant: one atomic exchange (renameat2 RENAME_EXCHANGE) where the file system has
/// it, else two renames whose gap recover_folder repairs. Flushes the parent folder, removes the
/// old contents. Throws IoError naming `target`.
void replace_folder(const std::filesystem::path& staging, const std::filesystem::path& target);

/// Writes the folder `target` crash-safely: write(staging) fills a claimed staging folder beside
/// it, which replace_folder then puts at `target`; stale temporaries of earlier saves are then
/// removed. On failure the staging folder is removed and the error rethrown (a file-system error
/// as an IoError naming `target`). Write the file that marks a staged folder complete (see
/// recover_folder) last.
void write_folder_atomically(const std::filesystem::path& target,
                             const std::function<void(const std::filesystem::path&)>& write);

/// Whether `folder` holds every one of `files` (what marks a staged folder complete).
bool holds_files(const std::filesystem::path& folder, const std::vector<std::string>& files);

/// Repairs a replace_folder killed between its two renames (the fallback): when `target` is
/// missing, renames the newest unclaimed temporary of it that holds all of `required_files` (a
/// staged ".saving-*" first, else the ".old-*" it replaced) to `target`. Returns whether it did.
bool recover_folder(const std::filesystem::path& target,
                    const std::vector<std::string>& required_files);

/// For the crash tests: whether replace_folder may use the atomic exchange (true by default;
/// false forces the two-rename fallback).
void allow_folder_exchange(bool allowed);

}  // namespace ember::io
