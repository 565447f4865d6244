#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ns_bench/histogram.hpp"
#include "ns_bench/url.hpp"

namespace ns::bench {

/// What to send and how hard.
struct load_spec {
  http_url target;
  /// The whole request, serialized once; only the stamps change per send.
  std::string request;
  /// Offsets of 19-digit placeholders in `request`, overwritten with the
  /// request's intended send time (see stamp_now()).
  std::vector<std::size_t> stamps;
  /// Jobs one request carries: 0 for a plain GET, >1 for a batch (accepted
  /// jobs are then counted in the answer body).
  int jobs_per_request = 1;
  int connections = 16;
  int threads = 1;
  double rate = 0; // total requests/s; 0 = closed loop
  /// Open loop: due requests go out together at most this often (wrk2 uses
  /// 1 ms). Latency still counts from each request's intended send time.
  int tick_us = 500;
  double duration_s = 10;
  uint64_t max_jobs = 0; // 0 = until duration_s
};

/// What the load produced; merged over the io threads.
struct load_totals {
  histogram latency;        // ns from intended send to the whole answer
  uint64_t requests = 0;    // answered
  uint64_t accepted = 0;    // jobs (or 2xx answers for a GET)
  uint64_t item_errors = 0; // refused items of 200 batch answers
  std::map<int, uint64_t> status_errors; // non-2xx answers; 0 = transport
  std::vector<std::string> sample_ids;   // a few accepted job ids
  double elapsed_s = 0;
};

/// The intended-send stamp for `ns` since the steady clock's epoch: always 19
/// digits (1e18 + ns), so it overwrites a placeholder in place.
uint64_t stamp_of(uint64_t steady_ns);
uint64_t steady_now_ns();

/// A keep-alive HTTP/1.1 load generator on 1 or 2 io threads, each a plain
/// epoll loop. The request path allocates nothing in steady state: one
/// pre-serialized request and one growing read buffer per connection, a
/// minimal response parser.
class load_driver {
public:
  explicit load_driver(load_spec spec);
  ~load_driver();

  void start();
  /// No new requests; those under way finish.
  void stop();
  /// True once every connection has finished.
  bool done() const;
  /// Stops the io threads at once (after stop() had its grace time).
  void abort();
  /// Waits for the io threads; then totals() is final.
  void join();

  /// Live counters, safe from any thread.
  uint64_t accepted() const;
  uint64_t errors() const;
  /// Latencies since the last call (for the live p99).
  histogram take_interval();

  load_totals totals() const;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace ns::bench
