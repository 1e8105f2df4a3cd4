// A small HTTP/1.1 server on 127.0.0.1 and a free port, for testing downloads without a network:
// each test says what every path answers, and counts the requests it got.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace ember::testing {

struct HttpReply {
  int status = 200;
  std::string body{};
  /// A Location header (for 301/302 replies).
  std::string location{};
  /// Send only this many bytes of the body, then close: a transfer cut short. Content-Length
  /// still announces the whole body.
  std::size_t cut_after = std::string::npos;
  /// Send the headers, then nothing for this many milliseconds before closing: a stalled server.
  int stall_ms = 0;
};

class LoopbackHttpServer {
 public:
  LoopbackHttpServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) throw std::runtime_error("test server: socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;  // the kernel picks a free port
    socklen_t size = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      ::close(listener_);
      throw std::runtime_error("test server: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  void serve(const std::string& path, HttpReply reply) {
    std::lock_guard<std::mutex> lock(mutex_);
    replies_[path] = std::move(reply);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  int requests(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = counts_.find(path);
    return it == counts_.end() ? 0 : it->second;
  }
  int total_requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    int total = 0;
    for (const auto& [path, count] : counts_) total += count;
    return total;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd waiting{listener_, POLLIN, 0};
      if (::poll(&waiting, 1, 50) <= 0) continue;
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      answer(client);
      ::close(client);
    }
  }

  // Reads the request's head (up to the blank line), then writes the reply for its path.
  void answer(int client) {
    std::string request;
    char chunk[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      pollfd readable{client, POLLIN, 0};
      if (::poll(&readable, 1, 2000) <= 0) return;
      const ssize_t got = ::recv(client, chunk, sizeof chunk, 0);
      if (got <= 0) return;
      request.append(chunk, static_cast<std::size_t>(got));
    }
    const std::size_t start = request.find(' ') + 1;
    const std::string path = request.substr(start, request.find(' ', start) - start);
    HttpReply reply;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++counts_[path];
      auto it = replies_.find(path);
      if (it == replies_.end()) {
        reply.status = 404;
        reply.body = "no such path";
      } else {
        reply = it->second;
      }
    }
    std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) +
                       "\r\nContent-Length: " + std::to_string(reply.body.size()) +
                       "\r\nConnection: close\r\n";
    if (!reply.location.empty()) head += "Location: " + reply.location + "\r\n";
    head += "\r\n";
    send_all(client, head);
    if (reply.stall_ms > 0) {
      for (int waited = 0; waited < reply.stall_ms && !stop_; waited += 10) ::usleep(10000);
      return;
    }
    send_all(client, reply.body.substr(0, std::min(reply.cut_after, reply.body.size())));
  }

  static void send_all(int client, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t put = ::send(client, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (put <= 0) return;
      sent += static_cast<std::size_t>(put);
    }
  }

  static const char* reason(int status) {
    switch (status) {
      case 200:
        return "OK";
      case 301:
        return "Moved Permanently";
      case 302:
        return "Found";
      case 404:
        return "Not Found";
      case 500:
        return "Internal Server Error";
      default:
        return "Status";
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<std::string, HttpReply> replies_;
  std::map<std::string, int> counts_;
  std::thread thread_;
};

/// A loopback port that was free a moment ago and has nothing listening on it now: a server that
/// cannot be reached.
inline int closed_port() {
  LoopbackHttpServer server;
  return server.port();
}

}  // namespace ember::testing
