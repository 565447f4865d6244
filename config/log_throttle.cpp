#include "config/log_throttle.hpp"

#include <utility>

namespace ns::log {

bool throttle::admit(uint64_t& suppressed) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard guard{mtx_};
  if (now < next_) {
    ++suppressed_;
    return false;
  }
  next_ = now + interval_;
  suppressed = std::exchange(suppressed_, 0);
  return true;
}

std::string suppressed_note(uint64_t n) {
  return n == 0 ? std::string{}
                : " (" + std::to_string(n) + " more since the last report)";
}

} // namespace ns::log
