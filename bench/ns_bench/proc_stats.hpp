#pragma once

#include <cstdint>

namespace ns::bench {

/// What /proc says about one process right now; zeros when it is gone.
struct proc_sample {
  bool alive = false;
  uint64_t rss_bytes = 0;      // VmRSS
  uint64_t peak_rss_bytes = 0; // VmHWM: the process's peak so far
  double cpu_seconds = 0;      // utime + stime
};

proc_sample sample_proc(int pid);

/// CPU use between two samples taken `seconds` apart, in % of one core.
double cpu_percent(const proc_sample& from, const proc_sample& to,
                   double seconds);

} // namespace ns::bench
