#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace ns::log {

/// Lets a repeated warning through at most once per interval, with the
/// number of repeats held back since the last one, so that a fault hit by
/// many callers (accept on EMFILE, every live job writing to a full disk) is
/// one line per interval, not a flood. Thread-safe.
class throttle {
public:
  explicit throttle(std::chrono::steady_clock::duration interval)
    : interval_(interval) {
    // nothing else
  }

  /// True when this occurrence is to be logged; `suppressed` is then the
  /// count of those held back before it.
  bool admit(uint64_t& suppressed);

private:
  std::mutex mtx_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point next_
    = std::chrono::steady_clock::time_point::min();
  uint64_t suppressed_ = 0;
};

/// " (N more since the last report)", or nothing for N = 0.
std::string suppressed_note(uint64_t n);

} // namespace ns::log
