#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/actors.hpp"
#include "actors/adapter_link.hpp"
#include "actors/instance_board.hpp"

namespace ns {

/// Where a proxy stands and how it keeps time.
struct external_instance_config {
  adapter_link* link = nullptr;
  std::shared_ptr<instance_board> board;
  job_manager_actor manager;
  /// The instance's ZeroMQ routing id.
  std::string peer;
  std::string adapter;
  /// The key hash the instance said hello with (a rotation ends the session).
  std::string key_hash;
  uint32_t credit = 0;
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds timeout{5000};
};

/// A job the adapter handed to a proxy, until its job actor answers take_job.
struct job_being_taken {
  caf::actor job;
  bool answered = false;
  /// Empty when the take failed (canceled or expired while queued).
  std::optional<job_record> rec;
};

struct external_instance_state {
  static inline constexpr const char* name = "external_instance";
  external_instance_config cfg;
  std::shared_ptr<instance_info> info;
  caf::actor adapter;
  /// Jobs the instance holds: id -> job actor.
  std::unordered_map<std::string, caf::actor> in_flight;
  /// Jobs handed over by the adapter, in its order (priority, then age), the
  /// first being number `first_taken`. Their job actors answer take_job in
  /// any order; the jobs go to the instance in this one.
  std::deque<job_being_taken> taking;
  uint64_t first_taken = 0;
  /// Cancels that came before the job was sent to the instance.
  std::unordered_set<std::string> early_cancels;
  /// Credit handed to the adapter actor and not used yet.
  uint32_t granted = 0;
  /// Credit the instance gave before the proxy joined its adapter.
  uint32_t pending_credit = 0;
  uint64_t last_seen_ms = 0;
  bool closing = false;
};

/// The proxy of one connected external adapter instance: takes jobs from its
/// adapter's queue as the instance grants credit, forwards them, results and
/// cancels, watches heartbeats. When it ends (timeout, bye, admin change),
/// the jobs it held are queued again by their job actors.
caf::behavior
external_instance(caf::stateful_actor<external_instance_state>* self,
                  std::shared_ptr<instance_info> info,
                  external_instance_config cfg);

} // namespace ns
