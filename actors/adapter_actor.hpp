#pragma once

#include <memory>
#include <vector>

#include "actors/actors.hpp"
#include "actors/job_context.hpp"
#include "actors/ready_queue.hpp"

namespace ns {

struct adapter_actor_state {
  static inline constexpr const char* name = "adapter";

  std::shared_ptr<const adapter_entry> entry;
  std::shared_ptr<const job_context> ctx;
  /// Ready jobs: high before normal before low, FIFO within a priority.
  ready_queue queue;
  /// Free credit per instance.
  std::vector<std::pair<caf::actor, uint32_t>> instances;
  size_t next_instance = 0;
  /// config.rate_limit as a token bucket of one: jobs are handed out no
  /// faster than the provider takes them, instead of failing and retrying.
  double tokens = 1.0;
  uint64_t refilled_ms = 0;
  bool wake_pending = false;
};

/// One per adapter. Spawns the built-in instance for channel types ns
/// delivers itself (webhook, smtp, telegram, sms, mattermost); external
/// instances attach later.
adapter_actor::behavior_type
adapter(adapter_actor::stateful_pointer<adapter_actor_state> self,
        std::shared_ptr<const adapter_entry> entry,
        std::shared_ptr<const job_context> ctx);

} // namespace ns
