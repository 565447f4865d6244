#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

// The seam between delivery actors and the network: actors/ says what to
// send, net/ (http_client) sends it. Keeps Beast out of the actors.

namespace ns {

/// Who chose a request's URL. An admin's (an adapter's config) is trusted; a
/// client's (a `callback_url`) may reach only the addresses the node's policy
/// admits (security.callback_allow), checked on the resolved addresses right
/// before connecting, so a name that resolves to loopback does not get past.
enum class url_origin : uint8_t { admin, client };

/// One outbound HTTP request.
struct http_call {
  std::string method = "POST";
  /// Absolute http:// or https:// URL.
  std::string url;
  url_origin origin = url_origin::admin;
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
  /// True for TLS certificate failures, bad URLs and addresses a client URL
  /// may not reach: retrying cannot help.
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
