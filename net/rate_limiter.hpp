#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "actors/model.hpp"

namespace ns::net {

/// One token bucket per client (`rate_limit`: rps tokens a second, at most
/// burst saved). Shared by the HTTP threads; the lock is held for a few
/// arithmetic operations only.
class rate_limiter {
public:
  /// Takes up to `want` tokens; returns how many it got.
  uint32_t take(const std::string& client_id, const rate_limit& limit,
                uint32_t want, uint64_t now_ms);

  /// Milliseconds until one token is back.
  static uint64_t wait_ms(const rate_limit& limit);

private:
  struct bucket {
    double tokens = 0;
    uint64_t last_ms = 0;
  };
  std::mutex mtx_;
  std::unordered_map<std::string, bucket> buckets_;
};

} // namespace ns::net
