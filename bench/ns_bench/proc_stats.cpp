#include "ns_bench/proc_stats.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

namespace ns::bench {

proc_sample sample_proc(int pid) {
  proc_sample s;
  if (pid <= 0)
    return s;
  auto dir = "/proc/" + std::to_string(pid);
  std::ifstream stat{dir + "/stat"};
  std::string line;
  if (!std::getline(stat, line))
    return s;
  // The command name may hold spaces and parentheses: fields count from the
  // last ')'. utime and stime are fields 14 and 15, i.e. the 12th and 13th
  // after it.
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return s;
  std::istringstream fields{line.substr(close + 2)};
  std::string field;
  uint64_t utime = 0;
  uint64_t stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    else if (i == 15)
      stime = std::stoull(field);
  }
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  std::ifstream status{dir + "/status"};
  while (std::getline(status, line)) {
    auto kib = [&line] {
      return std::stoull(line.substr(line.find(':') + 1)) * 1024;
    };
    if (line.rfind("VmRSS:", 0) == 0)
      s.rss_bytes = kib();
    else if (line.rfind("VmHWM:", 0) == 0)
      s.peak_rss_bytes = kib();
  }
  // A zombie has a stat file but no memory lines.
  s.alive = s.rss_bytes > 0;
  return s;
}

double cpu_percent(const proc_sample& from, const proc_sample& to,
                   double seconds) {
  if (seconds <= 0 || !from.alive || !to.alive)
    return 0;
  return 100.0 * (to.cpu_seconds - from.cpu_seconds) / seconds;
}

} // namespace ns::bench
