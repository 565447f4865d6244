#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/job_context.hpp"

namespace ns {

struct callback_state {
  static inline constexpr const char* name = "callback";
  std::shared_ptr<const job_context> ctx;
  std::string job_id;
  std::string client_id;
  std::string url;
  std::string body;
  uint32_t attempts = 0;
};

/// POSTs a job's final state to one callback URL, signed with the client's
/// secret (`X-NS-Signature: sha256=<hex HMAC-SHA256 of the body>`), retried
/// with the repeater's backoff; records the outcome (delivered, or failed
/// with its reason) in place of the pending subscription.
caf::behavior callback(caf::stateful_actor<callback_state>* self,
                       std::shared_ptr<const job_context> ctx,
                       std::string job_id, std::string client_id,
                       std::string url, std::string body);

/// The body every callback of `job` sends: the job as GET shows it, without
/// its `callbacks`.
std::string callback_body(const job_record& job);

/// The `callbacks` family value of a callback that is done. A pending one is
/// stored empty, as subscribed (data dirs of older nsds read the same).
std::string callback_value(const callback_status& done);

/// The callback to `url` as its stored `value` says.
callback_status read_callback(std::string_view url, std::string_view value);

} // namespace ns
