#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/actors.hpp"
#include "actors/job_context.hpp"
#include "store/db.hpp"

namespace ns {

/// A non-final job read back from the store at start-up, with its pending
/// result callbacks.
struct recovered_job {
  job_record job;
  std::vector<std::string> callbacks;
};

/// What start-up found in the store.
struct recovery {
  std::vector<recovered_job> jobs;
  /// Callbacks of jobs already final: (job, url) still to deliver.
  std::vector<std::pair<job_record, std::string>> final_callbacks;
};

/// Reads every non-final job (the `active` index) and every pending
/// callback. Runs before the node reports ready.
caf::expected<recovery> recover_jobs(const store::db& db);

struct job_counters {
  static constexpr size_t states = 9;
  std::array<int64_t, states> by_state{};
};

struct job_manager_state {
  static inline constexpr const char* name = "job_manager";

  struct live_job {
    job_actor hdl;
    std::string adapter;
  };

  std::shared_ptr<job_context> ctx;
  const store::db* db = nullptr;
  std::unordered_map<std::string, live_job> live;
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
            std::shared_ptr<recovery> recovered);

} // namespace ns
