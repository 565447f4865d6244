#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ns::bench {

/// Everything the command line can say; defaults as `--help` shows them.
struct options {
  std::string scenario; // ingest e2e batch backlog recovery memory url
  bool sweep = false;
  int connections = 16;
  double rate = 0; // total req/s; 0: closed loop
  double duration_s = 10;
  uint64_t jobs = 0; // 0: run for duration_s (backlog & co.: 10000)
  int batch = 1;     // jobs per request; batch scenario: 1000
  int threads = 1;
  int tick_us = 500; // open loop: how often due requests go out
  std::string nsd_path;
  std::vector<std::string> nsd_settings; // "section.key=value"
  std::string target;                    // http://host:port of a running nsd
  std::string admin_token;
  int nsd_pid = 0;
  std::string url; // the url scenario's GET target
  bool json = false;
  bool backlog = false; // memory --backlog
  int adapter_concurrency = 64;
  double drain_timeout_s = 60;
  std::string vary; // sweep: "connections=1,4" / "rate=..." / "nsd:k=a,b"
  double p99_bound_ms = 5;
  std::string plot;
  bool quiet = false; // no live lines
  bool keep = false;  // keep the temp dir of a started nsd
};

/// The outcome of parsing: options, or a message and the exit code (0 for
/// --help, 2 for a bad command line).
struct parse_result {
  std::optional<options> opts;
  std::string message;
  int exit_code = 0;
};

parse_result parse_cli(int argc, char** argv);

std::string usage();

} // namespace ns::bench
