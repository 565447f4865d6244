#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "actors/outbound_http.hpp"
#include "net/address_policy.hpp"

namespace ns::net {

/// Tuning for http_client.
struct http_client_options {
  /// Network threads, all running one io_context.
  unsigned threads = 1;
  /// Idle keep-alive connections kept per (scheme, host, port).
  size_t max_idle_per_host = 64;
  /// An idle connection unused for this long is closed.
  std::chrono::milliseconds idle_timeout{30'000};
  /// Answer bodies are cut at this many bytes; the status is kept.
  size_t max_response_body = 64 * 1024;
  /// Where calls with `url_origin::client` may connect to.
  address_policy client_urls;
};

/// Outbound HTTP/1.1 over keep-alive pools, one per (scheme, host, port).
/// Asynchronous on its own threads: `send` posts and returns at once, `done`
/// runs exactly once on a client thread. A reused connection that turns out
/// closed before any answer byte arrives is retried once on a fresh one.
/// A call with a client's URL connects only to resolved addresses that
/// `client_urls` admits, and never reuses a connection opened for an admin's
/// URL. Does not limit concurrency: callers bound their in-flight calls.
class http_client final : public outbound_http {
public:
  explicit http_client(http_client_options opts = {});
  /// Calls stop().
  ~http_client() override;
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Thread-safe. After stop, `done` runs at once on the caller's thread
  /// with "shutting down".
  void send(http_call call, std::function<void(http_outcome)> done) override;

  /// Closes every connection; calls in flight complete with "shutting down"
  /// before this returns, and no `done` runs afterwards. Idempotent. Must
  /// not be called from inside a `done`.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ns::net
