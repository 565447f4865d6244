#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/job_messages.hpp"
#include "actors/messages.hpp"

// Every typed actor interface of ns. net/ holds these handles and nothing else
// of the actors.

namespace ns {

/// Owns clients and adapters: validates admin changes against the current
/// state, makes them durable, then publishes a new registry_snapshot.
using registry_actor = caf::typed_actor<
  caf::reacts_to<create_client_request>, caf::reacts_to<patch_client_request>,
  caf::reacts_to<delete_client_request>,
  caf::reacts_to<rotate_client_keys_request>,
  caf::reacts_to<create_adapter_request>, caf::reacts_to<patch_adapter_request>,
  caf::reacts_to<delete_adapter_request>,
  caf::reacts_to<rotate_adapter_key_request>,
  caf::reacts_to<registry_write_done>, caf::reacts_to<put_template_request>,
  caf::reacts_to<delete_template_request>>;

/// One live job: owns its state machine, persists each transition, and is
/// told everything as a message (take, result, cancel, expire, retry). It
/// monitors the instance that took it: if that instance goes away before it
/// reports, the job is queued again (at least once).
using job_actor = caf::typed_actor<
  caf::replies_to<take_job>::with<job_record>, caf::reacts_to<attempt_result>,
  caf::replies_to<job_request>::with<job_record>, caf::reacts_to<job_event>>;

/// Decides whether and when a failed delivery is tried again.
using repeater_actor
  = caf::typed_actor<caf::replies_to<retry_request>::with<retry_decision>>;

/// One adapter: queues its ready jobs by priority and hands them to instances
/// only as they ask (credit), so a slow channel is never flooded. An external
/// instance attaches before it has any credit, so that it hears every admin
/// change; the answer is the adapter as it stands. An instance that leaves
/// detaches first: the answer comes after every job handed to it.
using adapter_actor = caf::typed_actor<
  caf::reacts_to<enqueue_job>, caf::reacts_to<enqueue_jobs>,
  caf::reacts_to<want_work>, caf::reacts_to<adapter_changed>,
  caf::reacts_to<atom::wake>,
  caf::replies_to<atom::attach, caf::actor>::with<adapter_changed>,
  caf::replies_to<atom::detach, caf::actor>::with<bool>>;

/// Owns the live jobs of this node: spawns their actors, answers queries
/// about them, keeps one adapter actor per adapter, counts.
using job_manager_actor = caf::typed_actor<
  caf::reacts_to<jobs_accepted>, caf::reacts_to<job_query>,
  caf::reacts_to<callbacks_query>, caf::reacts_to<stats_query>,
  caf::reacts_to<metrics_query>, caf::reacts_to<adapter_changed>,
  caf::reacts_to<job_done>, caf::reacts_to<job_transition>,
  caf::reacts_to<atom::tick>, caf::reacts_to<atom::due>,
  caf::reacts_to<atom::persisted, std::string>,
  caf::replies_to<atom::attach, std::string>::with<caf::actor>>;

} // namespace ns
