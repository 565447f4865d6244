#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "actors/actors.hpp"
#include "actors/registry.hpp"
#include "store/group_commit.hpp"

namespace ns {

struct registry_state {
  static inline constexpr const char* name = "registry";

  std::shared_ptr<registry_view> view;
  store::group_commit* commit = nullptr;
  /// The last durable state; published copies go to `view`.
  registry_snapshot current;
  /// Admin writes run one at a time, each computed on the durable state of the
  /// one before, so two patches never race. They are rare; fsync is not.
  uint64_t next_op = 1;
  uint64_t in_flight = 0;
  std::function<void(const caf::error&)> on_durable;
  std::deque<std::function<void()>> waiting;
  /// Told about every adapter change (may be null, e.g. in tests).
  job_manager_actor jobs;
};

/// Spawned once per node with the snapshot loaded at start-up.
registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self,
         std::shared_ptr<registry_view> view, store::group_commit* commit,
         job_manager_actor jobs);

} // namespace ns
