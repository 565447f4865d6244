#include "actors/repeater.hpp"

#include <algorithm>

namespace ns {

uint64_t backoff_ms(const retry_policy& policy, uint32_t attempts,
                    uint64_t retry_after_ms, std::mt19937_64& rng) {
  auto cap = policy.max_backoff_ms;
  auto ceiling = policy.initial_backoff_ms;
  // Doubling past the cap would overflow for large attempt counts.
  for (uint32_t i = 1; i < attempts && ceiling < cap; ++i)
    ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  std::uniform_int_distribution<uint64_t> dist{0, ceiling};
  return std::max(dist(rng), retry_after_ms);
}

repeater_actor::behavior_type
repeater(repeater_actor::stateful_pointer<repeater_state> self, uint64_t seed) {
  self->state.rng.seed(seed != 0 ? seed : std::random_device{}());
  return {
    [self](const retry_request& req) -> retry_decision {
      if (req.attempts >= req.policy.max_attempts)
        return retry_decision{false, 0};
      return retry_decision{true,
                            backoff_ms(req.policy, req.attempts,
                                       req.retry_after_ms, self->state.rng)};
    },
  };
}

} // namespace ns
