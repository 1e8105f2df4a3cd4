// BackupAndRestore: the training state in one folder, swapped into place at every backup.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "io/atomic_file.h"
#include "layers/callbacks/callbacks.h"
#include "layers/engine/config.h"
#include "layers/models/model.h"

namespace ember::callbacks {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLatest = "latest";
constexpr const char* kWeightsFile = "weights.safetensors";
constexpr const char* kMetadataFile = "training_metadata.json";

/// What a whole backup holds (written weights first, metadata last).
const std::vector<std::string> kCompleteBackup = {kWeightsFile, kMetadataFile};

/// The epoch a backup resumes at, from its metadata file {"epoch": e, "batch": b}.
int read_resume_epoch(const fs::path& metadata_path) {
  std::ifstream in(metadata_path);
  if (!in) throw IoError(cat("BackupAndRestore ", metadata_path.string(), ": cannot read it"));
  keras::Config metadata;
  try {
    metadata = keras::Config::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw IoError(cat("BackupAndRestore ", metadata_path.string(), ": malformed JSON: ", e.what()));
  }
  if (!metadata.is_object() || !metadata.contains("epoch") ||
      !metadata["epoch"].is_number_integer() || metadata["epoch"].get<std::int64_t>() < 0 ||
      metadata["epoch"].get<std::int64_t>() > std::numeric_limits<int>::max()) {
    throw IoError(cat("BackupAndRestore ", metadata_path.string(),
                      ": expected {\"epoch\": <a non-negative integer>, ...}, got ",
                      metadata.dump()));
  }
  return metadata["epoch"].get<int>();
}

}  // namespace

BackupAndRestore::BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options)
    : backup_dir_(std::move(backup_dir)), options_(std::move(options)) {
  if (backup_dir_.empty()) throw Error("BackupAndRestore: backup_dir is empty");
}

void BackupAndRestore::on_train_begin(Logs&) {
  current_epoch_ = 0;
  last_batch_seen_ = -1;
  batches_since_save_ = 0;
  resumed_epoch_.reset();
  if (!model().built()) {
    throw Error(cat("BackupAndRestore: model '", model().name(),
                    "' must be built before fit (give it an Input or call it once on data) so "
                    "that a backup can be loaded into it"));
  }
  const fs::path latest = fs::path(backup_dir_) / kLatest;
  io::recover_folder(latest, kCompleteBackup);
  std::error_code ec;
  if (!fs::is_directory(latest, ec)) return;  // a first run
  if (!io::holds_files(latest, kCompleteBackup)) {
    throw IoError(cat("BackupAndRestore ", latest.string(), ": an incomplete backup (expected ",
                      kWeightsFile, " and ", kMetadataFile, ")"));
  }
  const int epoch = read_resume_epoch(latest / kMetadataFile);
  model().load_weights((latest / kWeightsFile).string());
  model().resume_at_epoch = epoch;
  current_epoch_ = epoch;
  resumed_epoch_ = epoch;
}

void BackupAndRestore::on_epoch_end(int epoch, Logs&) {
  current_epoch_ = epoch + 1;
  last_batch_seen_ = -1;
  if (options_.save_freq.per_epoch()) back_up();
}

void BackupAndRestore::on_train_batch_end(std::int64_t batch, Logs&) {
  if (options_.save_freq.per_epoch()) return;
  // `batch` is the last batch of the execution (several with steps_per_execution).
  batches_since_save_ += batch > last_batch_seen_ ? batch - last_batch_seen_ : batch + 1;
  last_batch_seen_ = batch;
  if (batches_since_save_ >= options_.save_freq.batches()) {
    batches_since_save_ = 0;
    back_up();
  }
}

void BackupAndRestore::on_train_end(Logs&) {
  // The chief's backup, the chief's to delete.
  if (!options_.delete_checkpoint || !on_chief()) return;
  // Only what this callback wrote: backup_dir may hold the user's other files.
  const fs::path latest = fs::path(backup_dir_) / kLatest;
  std::error_code ec;
  fs::remove_all(latest, ec);
  io::remove_stale_temporaries(latest);
  if (fs::is_empty(backup_dir_, ec) && !ec) fs::remove(backup_dir_, ec);
}

void BackupAndRestore::back_up() {
  // Every worker restores from the backup, only the chief writes it (its weights are everyone's).
  if (!on_chief()) return;
  const fs::path latest = fs::path(backup_dir_) / kLatest;
  // The weights first, the metadata last (what recover_folder takes as complete).
  io::write_folder_atomically(latest, [&](const fs::path& staging) {
    model().save_weights((staging / kWeightsFile).string(), /*include_optimizer=*/true);
    const keras::Config metadata = {{"epoch", current_epoch_},
                                    {"batch", std::max<std::int64_t>(last_batch_seen_, 0)}};
    io::write_atomically((staging / kMetadataFile).string(),
                         [&](std::ostream& out) { out << metadata.dump() << "\n"; });
  });
}

}  // namespace ember::callbacks
