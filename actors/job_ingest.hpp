#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <caf/expected.hpp>

#include "actors/actors.hpp"
#include "actors/metrics.hpp"
#include "actors/registry.hpp"
#include "store/group_commit.hpp"

namespace ns {

/// Compaction filters that drop finished jobs older than `keep_ms` and
/// idempotency keys past their window: retention without a scan loop.
store::retention job_retention(uint64_t keep_ms);

/// A job as a client submitted it, already checked for syntax and types at
/// the HTTP edge.
struct job_submission {
  std::string adapter;
  /// The params object: as text (stored, delivered) and parsed (validated).
  std::string params_text;
  boost::json::value params;
  std::optional<uint64_t> expire_ms;
  std::optional<uint64_t> ttl_s;
  std::optional<uint64_t> scheduled_ms;
  std::string callback_url;
  job_priority priority = job_priority::normal;
  std::string idempotency_key;
};

/// How a submission ended: a new durable job, or the job an earlier
/// submission with the same Idempotency-Key made. For a new job `job` holds
/// what the answer names (id, state, priority, times), not its params.
struct submit_outcome {
  job_record job;
  bool duplicate = false;
};

/// The accept path, callable from any HTTP thread: checks the job against
/// its adapter (existence, permission, params schema, times), makes it
/// durable by group commit, hands it to the job manager, and only then
/// answers. Never blocks the caller.
///
/// The jobs one fsync made durable go to the manager as one message, before
/// any of them is answered: a client that reads its job right after the 202
/// finds the manager already knows it. The group commit must stop before
/// this object goes.
class job_ingest {
public:
  /// `metrics` (may be null) gets each accepted job's latency.
  job_ingest(store::group_commit& commit, std::shared_ptr<registry_view> view,
             job_manager_actor manager, std::string node_id,
             std::shared_ptr<node_metrics> metrics = nullptr);
  ~job_ingest();
  job_ingest(const job_ingest&) = delete;
  job_ingest& operator=(const job_ingest&) = delete;

  /// `done` runs once, on the commit thread or the caller's. For a duplicate
  /// only `job.id` is known; the caller looks the job up.
  void submit(const client_record& client, job_submission sub,
              std::function<void(caf::expected<submit_outcome>)> done);

  /// How long an Idempotency-Key names its first job.
  static constexpr uint64_t idempotency_window_ms = 24ull * 3600 * 1000;

private:
  using answer_fn = std::function<void(caf::expected<submit_outcome>)>;

  /// Commit thread: a job of the write under way is durable.
  void durable(job_record job, answer_fn done);
  /// Commit thread, once per fsync'd write: tell the manager, then answer.
  void hand_over();
  void observe_accept(std::chrono::steady_clock::time_point t0);

  std::vector<job_record> durable_jobs_;
  std::vector<answer_fn> durable_answers_;
  store::group_commit& commit_;
  std::shared_ptr<registry_view> view_;
  job_manager_actor manager_;
  std::string node_id_;
  std::shared_ptr<node_metrics> metrics_;
};

} // namespace ns
