#pragma once

#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "ns_bench/url.hpp"

namespace ns::bench {

/// One blocking HTTP exchange on its own connection (setup and polling only;
/// the load goes through load.hpp). status 0: no answer, `error` says why.
struct http_reply {
  int status = 0;
  std::string body;
  std::string error;
};

http_reply
http_call(const http_url& base, const std::string& method,
          const std::string& path, const std::string& body = {},
          const std::vector<std::pair<std::string, std::string>>& headers = {},
          double timeout_s = 10);

/// The admin API as ns-bench uses it.
class admin_client {
public:
  admin_client(http_url base, std::string token)
    : base_(std::move(base)), token_(std::move(token)) {
  }

  /// Creates a webhook adapter `name` to `hook_url` (blocked or not) and a
  /// client allowed to use it; returns the client's API key, or throws
  /// std::runtime_error.
  std::string setup(const std::string& name, const std::string& hook_url,
                    bool blocked, int concurrency);

  /// PATCH {"blocked": b}; throws std::runtime_error on failure.
  void set_blocked(const std::string& adapter, bool blocked);

  /// GET /v1/stats; null on failure.
  boost::json::value stats();

  const http_url& base() const {
    return base_;
  }

private:
  http_reply call(const std::string& method, const std::string& path,
                  const std::string& body = {});

  http_url base_;
  std::string token_;
};

/// Polls /readyz until 200 or the timeout; true when ready.
bool wait_ready(const http_url& base, double timeout_s);

/// A JSON number field of /v1/stats as a double (0 when missing).
double stat_number(const boost::json::value& stats, const char* key);

/// Jobs that wait in nsd (non-final states in the window plus the backlog).
double waiting_jobs(const boost::json::value& stats);

} // namespace ns::bench
