#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "actors/actors.hpp"
#include "actors/job_context.hpp"

namespace ns {

struct job_actor_state {
  static inline constexpr const char* name = "job";

  /// Not a job_record: see resident_job.
  resident_job job;
  std::shared_ptr<const job_context> ctx;
  adapter_actor adapter;
  uint64_t seq = 0;
  /// Result callbacks to send at the final state.
  std::vector<std::string> callbacks;
  /// The instance holding the job while it runs (for cancel).
  caf::actor instance;
  /// Writes of this job not yet durable; the actor quits only after the
  /// final one is.
  uint64_t writes_issued = 0;
  uint64_t writes_durable = 0;
  /// Answers (to a cancel) that wait until the write of that state is
  /// durable: a 2xx means durable.
  std::vector<std::pair<uint64_t, caf::typed_response_promise<job_record>>>
    awaiting;
};

/// Spawned for each non-final job: at acceptance, and at recovery. A job found
/// `running` or `canceling` after a crash is resolved first (delivered again,
/// or canceled). `queued`: the manager has put this queued job in its
/// adapter's queue already (it spawns such jobs with lazy_init: they cost no
/// scheduling until an instance takes them or someone asks about them).
job_actor::behavior_type
job(job_actor::stateful_pointer<job_actor_state> self, resident_job rec,
    std::vector<std::string> callbacks, uint64_t seq, adapter_actor adapter,
    std::shared_ptr<const job_context> ctx, bool queued);

} // namespace ns
