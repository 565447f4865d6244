#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>

#include "config/options.hpp"

namespace ns::net {

/// One HTTP request as the routes see it: no Beast types leak out of
/// http_server.cpp (one Beast translation unit keeps builds fast).
struct request {
  std::string method;
  std::string path;
  std::string query;
  std::string body;
  std::string content_type;
  std::string authorization;
  std::string api_key;
  std::string idempotency_key;
  std::string peer;
};

struct response {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
};

/// Answers a request. Thread-safe, to be called once, from any thread: the
/// answer is posted to the connection's own thread.
using respond_fn = std::function<void(response)>;

/// Handles a request. Runs on an HTTP thread: must not block.
using handler_fn = std::function<void(request&&, respond_fn)>;

/// The HTTP/1.1 front: keep-alive, body and header limits, timeouts for slow
/// or idle clients, a connection cap, and a graceful stop.
class http_server {
public:
  http_server(const config::http_options& opts, handler_fn handler);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds and starts the threads. Errors name the address.
  caf::error start();

  /// The port actually bound (useful with port 0).
  uint16_t port() const;

  /// Stops accepting, closes idle connections, lets in-flight requests finish
  /// within `grace`, then stops the threads. The io contexts stay alive until
  /// destruction, so late answers are dropped safely.
  void stop(std::chrono::milliseconds grace);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ns::net
