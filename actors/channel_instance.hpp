#pragma once

#include <memory>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/actors.hpp"
#include "actors/channels.hpp"
#include "actors/job_context.hpp"

namespace ns {

struct channel_state {
  static inline constexpr const char* name = "channel";
  adapter_actor adapter;
  std::shared_ptr<const adapter_entry> entry;
  std::shared_ptr<const job_context> ctx;
  send_fn send;
  /// Credit granted to the adapter so far (follows channel_concurrency).
  uint32_t granted = 0;
};

/// The instance of a built-in channel (webhook, smtp, telegram, sms,
/// mattermost): asks its adapter for work with at most channel_concurrency()
/// jobs in flight, takes each job it is handed, refuses one past its
/// expire_time, sends the others through `send` and hands each outcome to
/// its job.
caf::behavior channel_instance(caf::stateful_actor<channel_state>* self,
                               adapter_actor adapter,
                               std::shared_ptr<const adapter_entry> entry,
                               std::shared_ptr<const job_context> ctx,
                               send_fn send);

} // namespace ns
