#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "ns_bench/histogram.hpp"

namespace ns::bench {

/// The outcome of one scenario run: what the final table and --json show.
struct result {
  std::string scenario;
  std::string target;
  bool interrupted = false;
  std::string failure; // non-empty: the run failed (what and why)
  int connections = 0;
  double rate = 0;
  int batch = 1;
  int threads = 1;
  double elapsed_s = 0; // of the load phase
  uint64_t requests = 0;
  uint64_t accepted = 0;
  uint64_t delivered = 0;
  double accepted_per_s = 0;
  double delivered_per_s = 0;
  histogram accept_latency;               // ns
  histogram delivered_latency;            // ns, create->delivered
  std::map<std::string, uint64_t> errors; // "503", "io", "batch_item"
  uint64_t nsd_rss_peak = 0;              // bytes
  uint64_t nsd_rss_final = 0;             // bytes
  double nsd_cpu_percent = 0; // average over the load phase, % of one core
  std::vector<std::string> sample_ids;
  std::string api_key; // of the bench's client (to look jobs up)
  std::string adapter;
  /// Scenario-specific figures, in order (name, value).
  std::vector<std::pair<std::string, double>> extra;

  uint64_t error_count() const;
};

/// The final table (human readable).
std::string format_table(const result& r);

boost::json::object to_json(const result& r);

/// One live line: elapsed, accepted/s, delivered/s, p99 accept, errors, nsd
/// RSS and CPU.
std::string format_live(double elapsed_s, double accepted_per_s,
                        double delivered_per_s, double p99_ms, uint64_t errors,
                        double rss_mib, double cpu_percent);

inline double ms(uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

} // namespace ns::bench
