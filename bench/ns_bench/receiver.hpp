#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ns_bench/histogram.hpp"

namespace ns::bench {

/// The webhook receiver: an HTTP/1.1 server on 127.0.0.1 (a free port) with
/// its own io thread that answers every request 200 at once. A delivery's
/// body carries the job's params; their "t" (see load.hpp's stamp_of) gives
/// the create->delivered latency.
class receiver {
public:
  receiver();
  ~receiver();

  /// "http://127.0.0.1:<port>/hook"
  std::string url() const;

  /// Requests answered so far (every attempt counts).
  uint64_t delivered() const;

  /// create->delivered latencies (ns) so far; safe from any thread.
  histogram latencies() const;

  /// Steady-clock ns of the latest delivery (0: none yet).
  uint64_t last_delivery_ns() const;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace ns::bench
