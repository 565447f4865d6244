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
  deliver_fn deliver;
  /// Credit granted to the adapter so far (follows channel_concurrency).
  uint32_t granted = 0;
};

/// The instance of a built-in channel (smtp, telegram, sms, mattermost):
/// takes each job it is handed, renders its template if it names one, and
/// sends it through `deliver` with at most channel_concurrency() in flight.
caf::behavior channel_instance(caf::stateful_actor<channel_state>* self,
                               adapter_actor adapter,
                               std::shared_ptr<const adapter_entry> entry,
                               std::shared_ptr<const job_context> ctx,
                               deliver_fn deliver);

/// The params a job's delivery sends: its template rendered when it names
/// one. An error is a permanent failure (e.g. the pinned version was deleted).
caf::expected<boost::json::object> delivery_params(const adapter_entry& entry,
                                                   const job_record& job);

} // namespace ns
