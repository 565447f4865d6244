#pragma once

#include <memory>

#include "actors/actors.hpp"
#include "actors/metrics.hpp"
#include "actors/outbound_http.hpp"
#include "actors/outbound_smtp.hpp"
#include "actors/registry.hpp"
#include "store/group_commit.hpp"

namespace ns {

/// What every job-pipeline actor of a node shares. Created once by the job
/// manager; outlives all job actors.
struct job_context {
  store::group_commit* commit = nullptr;
  std::shared_ptr<registry_view> view;
  outbound_http* http = nullptr;
  /// For smtp adapters (null: they cannot deliver).
  outbound_smtp* smtp = nullptr;
  repeater_actor repeater;
  job_manager_actor manager;
  /// How result callbacks are retried.
  retry_policy callback_retry{8, 1'000, 300'000};
  /// Latencies for GET /metrics (may be null).
  std::shared_ptr<node_metrics> metrics;
};

} // namespace ns
