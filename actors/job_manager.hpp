#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/actors.hpp"
#include "actors/job_context.hpp"
#include "actors/live_jobs.hpp"
#include "store/db.hpp"

namespace ns {

/// A non-final job read back from the store at start-up, with its pending
/// result callbacks.
struct recovered_job {
  job_record job;
  std::vector<std::string> callbacks;
};

inline constexpr size_t priorities = 3;

/// Where the backlog stands: per priority, the last `active` key that got an
/// actor; jobs with greater keys of that priority rest in RocksDB.
struct backlog_position {
  std::array<std::string, priorities> cursor;
  std::array<bool, priorities> maybe_resting{};
  int64_t resting = 0;
};

/// What start-up found in the store.
struct recovery {
  /// The first `max_live` non-final jobs by priority, then age.
  std::vector<recovered_job> jobs;
  backlog_position backlog;
  /// Callbacks of jobs already final: (job, url) still to deliver.
  std::vector<std::pair<job_record, std::string>> final_callbacks;
};

/// Reads the non-final jobs (the `active` index) up to `max_live`, counts the
/// rest as backlog, and collects pending callbacks. Runs before the node
/// reports ready.
caf::expected<recovery> recover_jobs(const store::db& db, uint64_t max_live);

struct job_counters {
  static constexpr size_t states = 9;
  std::array<int64_t, states> by_state{};
};

struct job_manager_state {
  static inline constexpr const char* name = "job_manager";

  std::shared_ptr<job_context> ctx;
  const store::db* db = nullptr;
  uint64_t max_live = 0;
  backlog_position backlog;
  /// Resting jobs finished by the manager whose final write is not durable
  /// yet: the backlog must not hand them an actor meanwhile.
  std::unordered_set<std::string> tombstones;
  /// Subscriptions to resting jobs whose store write may not be visible yet
  /// when the job leaves the backlog.
  std::unordered_map<std::string, std::vector<std::string>> new_callbacks;
  /// Resting jobs finished by the manager, waiting for their final write to
  /// be durable before their callbacks go out.
  std::unordered_map<std::string, recovered_job> finishing;
  /// The instant the due timer is armed for (0: none).
  uint64_t due_armed_ms = 0;
  live_jobs live;
  /// Queued jobs given an actor while handling the current message, by
  /// adapter: sent as one enqueue_jobs each when the handler ends.
  std::vector<std::pair<adapter_actor, std::vector<enqueue_job>>> to_enqueue;
  std::unordered_map<std::string, adapter_actor> adapters;
  /// Callback deliveries under way (monitored: they end on their own).
  std::unordered_map<caf::actor_addr, caf::actor> callbacks;
  uint64_t next_seq = 1;
  job_counters total;
  std::map<std::string, job_counters> per_adapter;
  uint64_t accepted = 0;
  uint64_t delivered = 0;
  uint64_t accepted_at_tick = 0;
  uint64_t delivered_at_tick = 0;
  double ingest_rate = 0;
  double delivery_rate = 0;
};

/// The node's job manager. Detached: it reads finished jobs from RocksDB for
/// GET without holding up the scheduler threads.
job_manager_actor::behavior_type
job_manager(job_manager_actor::stateful_pointer<job_manager_state> self,
            std::shared_ptr<job_context> ctx, const store::db* db,
            uint64_t max_live, std::shared_ptr<recovery> recovered);

} // namespace ns
