#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

// The seam between delivery actors and the network: actors/ says what to
// send, net/ (http_client) sends it. Keeps Beast out of the actors.

namespace ns {

/// One outbound HTTP request.
struct http_call {
  std::string method = "POST";
  /// Absolute http:// or https:// URL.
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  /// Connecting (DNS, TCP, TLS) may take this long.
  std::chrono::milliseconds connect_timeout{5'000};
  /// Writing the request and reading the whole answer may take this long.
  std::chrono::milliseconds read_timeout{30'000};
};

/// What came back. `status == 0` means no HTTP answer: see `error`.
struct http_outcome {
  unsigned status = 0;
  /// The answer's body, cut at 64 KiB.
  std::string body;
  /// The Retry-After header as sent, if any.
  std::string retry_after;
  /// Transport failure ("connect: connection refused", "timeout", "tls: ...").
  std::string error;
  /// True when the failure happened before any byte of the request was
  /// written: the receiver cannot have acted on it.
  bool not_sent = false;
  /// True for TLS certificate failures and bad URLs: retrying cannot help.
  bool permanent = false;
};

/// Sends HTTP requests asynchronously over keep-alive connection pools.
/// `send` never blocks; `done` runs exactly once on a network thread and must
/// not block either (post the outcome to an actor).
class outbound_http {
public:
  virtual ~outbound_http() = default;
  virtual void send(http_call call, std::function<void(http_outcome)> done) = 0;
};

} // namespace ns
