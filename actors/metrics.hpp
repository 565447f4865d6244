#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace ns {

/// A Prometheus histogram of durations, observed from any thread without a
/// lock (relaxed atomics: a scrape may see an observation half counted,
/// never a torn number).
class latency_histogram {
public:
  /// Upper bounds in seconds, from the accept path's sub-millisecond to a
  /// delivery that waited for a retry.
  static constexpr std::array<double, 16> bounds_s{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25,   0.5,   1,      2.5,   5,    10,    30,   60};

  void observe(std::chrono::nanoseconds d);

  /// Appends `# HELP`, `# TYPE` and the `_bucket`, `_sum` and `_count`
  /// lines of `name` in the Prometheus text format.
  void render(std::string& out, std::string_view name,
              std::string_view help) const;

private:
  std::array<std::atomic<uint64_t>, bounds_s.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_ns_{0};
};

/// The latencies a node measures as it works, for GET /metrics.
struct node_metrics {
  /// A job's submission to its durable answer (single and batch items).
  latency_histogram job_accept;
  /// A job's create_time to its final state, for jobs that end on this node.
  latency_histogram job_completion;
};

/// Appends one sample of a counter or gauge, with its `# HELP` and `# TYPE`
/// lines when `help` is not empty. `labels` is `key="value",...` or empty.
void render_metric(std::string& out, std::string_view name,
                   std::string_view type, std::string_view help,
                   std::string_view labels, double value);

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
std::string label_value(std::string_view text);

} // namespace ns
