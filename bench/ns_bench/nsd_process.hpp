#pragma once

#include <string>
#include <vector>

#include "ns_bench/url.hpp"

namespace ns::bench {

/// An nsd that ns-bench started: its own temp data dir, a free loopback
/// port, an admin token of ours. Killed (SIGKILL) when this object dies, and
/// by the kernel if ns-bench itself dies first (PR_SET_PDEATHSIG).
class nsd_process {
public:
  nsd_process(std::string binary, std::vector<std::string> settings,
              bool keep_dir);
  ~nsd_process();

  nsd_process(const nsd_process&) = delete;
  nsd_process& operator=(const nsd_process&) = delete;

  /// Spawns nsd and waits until /readyz answers 200; empty string on
  /// success, else what went wrong (with the log's tail).
  std::string start(double timeout_s = 30);

  /// SIGKILL and reap.
  void kill9();

  /// SIGTERM, wait up to 10 s, then SIGKILL.
  void stop();

  int pid() const {
    return pid_;
  }

  const http_url& url() const {
    return url_;
  }

  const std::string& token() const {
    return token_;
  }

  const std::string& dir() const {
    return dir_;
  }

private:
  std::string log_tail() const;

  std::string binary_;
  std::vector<std::string> settings_;
  bool keep_dir_;
  std::string dir_;
  std::string token_;
  http_url url_;
  int pid_ = 0;
  int starts_ = 0;
};

/// A loopback TCP port that nobody listens on right now, outside the
/// ephemeral range and reserved for this process; 0 if none is found.
int free_port();

} // namespace ns::bench
