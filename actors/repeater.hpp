#pragma once

#include <cstdint>
#include <random>

#include "actors/actors.hpp"

namespace ns {

/// The wait before attempt `attempts + 1`: capped exponential backoff with
/// full jitter, uniform in [0, min(max, initial * 2^(attempts-1))], and never
/// shorter than what the receiver asked for (Retry-After).
uint64_t backoff_ms(const retry_policy& policy, uint32_t attempts,
                    uint64_t retry_after_ms, std::mt19937_64& rng);

struct repeater_state {
  static inline constexpr const char* name = "repeater";
  std::mt19937_64 rng;
};

/// Answers retry_request: retry after `delay_ms`, or give up once
/// `policy.max_attempts` are used. `seed` 0 seeds from the OS (tests pass
/// one for repeatable jitter; CAF 0.17 also trips UBSan on argument-less
/// spawns).
repeater_actor::behavior_type
repeater(repeater_actor::stateful_pointer<repeater_state> self, uint64_t seed);

} // namespace ns
