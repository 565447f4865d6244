#include "net/rate_limiter.hpp"

#include <algorithm>

namespace ns::net {

uint32_t rate_limiter::take(const std::string& client_id,
                            const rate_limit& limit, uint32_t want,
                            uint64_t now_ms) {
  std::lock_guard<std::mutex> lock{mtx_};
  auto [it, fresh] = buckets_.try_emplace(client_id);
  auto& b = it->second;
  auto burst = static_cast<double>(limit.burst);
  if (fresh) {
    b.tokens = burst;
  } else if (now_ms > b.last_ms) {
    b.tokens = std::min(burst,
                        b.tokens
                          + static_cast<double>(now_ms - b.last_ms)
                            * static_cast<double>(limit.rps) / 1000.0);
  }
  b.last_ms = std::max(b.last_ms, now_ms);
  auto got = static_cast<uint32_t>(std::min<double>(want, b.tokens));
  b.tokens -= got;
  return got;
}

uint64_t rate_limiter::wait_ms(const rate_limit& limit) {
  return limit.rps == 0 ? 1000 : std::max<uint64_t>(1, 1000 / limit.rps);
}

} // namespace ns::net
