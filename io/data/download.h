// (internal) One HTTP(S) download into a file, with libcurl: what utils::get_file fetches with.
#pragma once

#include <string>

namespace ember::io {

struct DownloadOptions {
  /// Seconds to wait for the connection (DNS and TLS included).
  long connect_timeout_s = 30;
  /// Seconds without a single byte received after which the transfer is abandoned.
  long idle_timeout_s = 60;
  /// A progress bar on standard error; get_file sets it when standard error is a terminal.
  bool progress = false;
};

/// Whether this build can download (ember was built with libcurl).
bool downloads_available();

/// Fetches `url` (http, https or file; redirects followed to http and https only) into the file
/// `target`, which is created or truncated. Throws IoError naming the URL and the reason (DNS,
/// connection refused, HTTP status, timeout, a transfer cut short) on any failure; the caller
/// removes `target` then.
void download(const std::string& url, const std::string& target, const DownloadOptions& options);

}  // namespace ember::io
