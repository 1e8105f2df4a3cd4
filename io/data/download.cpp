#include "io/data/download.h"

#include <strings.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include "core/error.h"

#if EMBER_WITH_CURL
#include <curl/curl.h>
#endif

namespace ember::io {

#if EMBER_WITH_CURL
namespace {

// curl_global_init is not thread-safe and must run once before any handle.
void initialise_curl() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw IoError("download: libcurl failed to initialise");
    }
  });
}

struct Transfer {
  std::FILE* out = nullptr;
  bool write_failed = false;
  std::chrono::steady_clock::time_point last_drawn{};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

std::size_t write_chunk(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (std::fwrite(data, 1, bytes, transfer->out) != bytes) {
    transfer->write_failed = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  return bytes;
}

std::string mebibytes(curl_off_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

// "  41.2 MiB / 162.6 MiB [==========>          ] 25%  3.1 MiB/s", redrawn at most 10 times a
// second on the same line of standard error.
int draw_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(user);
  const auto clock = std::chrono::steady_clock::now();
  const bool done = total > 0 && now >= total;
  if (!done && clock - transfer->last_drawn < std::chrono::milliseconds(100)) return 0;
  transfer->last_drawn = clock;
  const double seconds = std::chrono::duration<double>(clock - transfer->started).count();
  const double rate = seconds > 0 ? static_cast<double>(now) / seconds / (1 << 20) : 0.0;
  std::string line = "\r  " + mebibytes(now);
  if (total > 0) {
    constexpr int kWidth = 30;
    const int filled =
        static_cast<int>(kWidth * static_cast<double>(now) / static_cast<double>(total));
    line += " / " + mebibytes(total) + " [" + std::string(filled, '=') +
            (filled < kWidth ? ">" + std::string(kWidth - filled - 1, ' ') : "") + "] " +
            std::to_string(100 * now / total) + "%";
  }
  char speed[32];
  std::snprintf(speed, sizeof speed, "  %.1f MiB/s   ", rate);
  std::fputs((line + speed).c_str(), stderr);
  if (done) std::fputs("\n", stderr);
  return 0;
}

// The reason in words a user can act on, for the error message.
std::string failure_reason(CURLcode code, const char* detail, long idle_timeout_s) {
  std::string what;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      what = "DNS lookup failed (no network?)";
      break;
    case CURLE_COULDNT_CONNECT:
      what = "could not connect";
      break;
    case CURLE_OPERATION_TIMEDOUT:
      what = cat("timed out (connecting, or no data for ", idle_timeout_s, " s)");
      break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      what = "the server closed the connection before the whole file came";
      break;
    case CURLE_TOO_MANY_REDIRECTS:
      what = "too many redirects";
      break;
    case CURLE_UNSUPPORTED_PROTOCOL:
      what = "unsupported protocol (only http, https and file are fetched)";
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
      what = "TLS failed";
      break;
    default:
      what = curl_easy_strerror(code);
  }
  if (detail != nullptr && *detail != '\0') what += cat(": ", detail);
  return what;
}

}  // namespace

bool downloads_available() { return true; }

void download(const std::string& url, const std::string& target, const DownloadOptions& options) {
  initialise_curl();
  std::FILE* out = std::fopen(target.c_str(), "wb");
  if (out == nullptr) throw IoError(cat(target, ": cannot create the download's file"));
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    std::fclose(out);
    throw IoError("download: curl_easy_init failed");
  }
  Transfer transfer;
  transfer.out = out;
  char detail[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_chunk);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  // A redirect must not send the download to the local disk (file://) or elsewhere.
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.idle_timeout_s);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "ember-get-file/0.1");
  if (options.progress) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, draw_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  }
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  char* scheme = nullptr;
  curl_easy_getinfo(curl, CURLINFO_SCHEME, &scheme);
  // CURLINFO_SCHEME says "HTTP" or "http" depending on the version; file:// has no status.
  const bool http = scheme != nullptr && strncasecmp(scheme, "http", 4) == 0;
  curl_easy_cleanup(curl);
  const bool closed = std::fclose(out) == 0;
  if (transfer.write_failed || (code == CURLE_OK && !closed)) {
    throw IoError(cat("download ", url, ": cannot write ", target, " (disk full?)"));
  }
  if (code != CURLE_OK) {
    throw IoError(
        cat("download ", url, ": ", failure_reason(code, detail, options.idle_timeout_s)));
  }
  if (http && status != 200) {
    throw IoError(cat("download ", url, ": HTTP status ", status,
                      status == 404   ? " (not found)"
                      : status >= 500 ? " (server error)"
                                      : ""));
  }
}

#else  // no libcurl

bool downloads_available() { return false; }

void download(const std::string& url, const std::string&, const DownloadOptions&) {
  throw IoError(cat("download ", url,
                    ": this ember was built without libcurl (apt-get install libcurl4-openssl-dev "
                    "and rebuild)"));
}

#endif

}  // namespace ember::io
