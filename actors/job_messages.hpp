#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>

#include "actors/job.hpp"
#include "actors/messages.hpp"
#include "actors/model.hpp"
#include "actors/outbound_http.hpp"
#include "actors/registry.hpp"

// Messages of the job pipeline. Like the admin messages they never leave the
// process; those from the HTTP front carry a completion.

namespace ns {

// -- HTTP front -> job manager
// -------------------------------------------------

/// Jobs that one group commit made durable (their 202s follow): give them
/// actors, or let them rest in the backlog.
struct jobs_accepted {
  std::vector<job_record> jobs;
};

enum class job_query_kind : uint8_t { get, cancel, subscribe };

/// GET, DELETE or a notification subscription for one job of one client.
struct job_query {
  job_query_kind kind = job_query_kind::get;
  std::string job_id;
  std::string client_id;
  /// For subscribe: where to POST the final state.
  std::string callback_url;
  reply_fn<job_record> reply;
};

/// One result callback of a job as GET shows it. Pending until delivered or
/// given up ("failed").
struct callback_status {
  std::string url;
  std::string state = "pending";
  uint32_t attempts = 0;
  std::string last_error;
  /// When it was delivered or given up (0 while pending): retention.
  uint64_t done_ms = 0;
};

/// The result callbacks of one job, in URL order (GET /v1/jobs/{id}, after
/// the job_query that checked ownership).
struct callbacks_query {
  std::string job_id;
  std::function<void(std::vector<callback_status>)> reply;
};

/// The admin asks for counters (GET /v1/stats).
struct stats_query {
  std::function<void(std::string json)> reply;
};

/// A scraper asks for the node's counters, gauges and latency histograms in
/// the Prometheus text format (GET /metrics).
struct metrics_query {
  std::function<void(std::string text)> reply;
};

// -- registry -> job manager
// -----------------------------------------------------

/// An adapter was created, changed (config, blocked, ...) or deleted.
struct adapter_changed {
  std::string name;
  /// Empty when deleted.
  std::shared_ptr<const adapter_entry> entry;
};

// -- job manager / adapter / instances <-> job actor
// ------------------------------

/// An instance asks the job for its payload; the job starts running unless it
/// was canceled or expired meanwhile (then the reply is an error).
struct take_job {
  caf::actor instance;
};

/// The outcome of one delivery attempt.
struct attempt_result {
  enum class kind : uint8_t { succeeded, failed, not_sent };
  kind outcome = kind::failed;
  bool retryable = false;
  std::string message;
  /// The receiver asked to wait this long before the next attempt (0: no).
  uint64_t retry_after_ms = 0;
};

/// Everything a job actor is told besides take_job and attempt_result: by its
/// own timers, by group commit, by the manager and by instances. One message
/// type (and job_request for the manager's queries) rather than an atom each,
/// because CAF allocates every actor's behavior with ~40 bytes per handler:
/// four handlers instead of eleven save ~290 bytes per live job
/// (docs/benchmarks.md, RSS per live job).
enum class job_signal : uint8_t {
  expire,       // the manager: expire_time may have come
  wake,         // its own timer: scheduled_at has come
  retry,        // its own timer: the next attempt is due
  persisted,    // group commit: write `write_no` is durable (0: it failed)
  adapter_gone, // the manager: the job's adapter was deleted
  requeue,      // an instance left before it could take the job
};

struct job_event {
  job_signal what = job_signal::expire;
  /// persisted only.
  uint64_t write_no = 0;
};

/// The manager asks a job actor for its record, to cancel it, or to add a
/// result callback.
struct job_request {
  job_query_kind kind = job_query_kind::get;
  /// For subscribe.
  std::string callback_url;
};

/// A ready job waiting in its adapter's queue. No id: the instance learns it
/// when it takes the job, and the queue keeps no copy (ready_queue).
struct enqueue_job {
  caf::actor job;
  job_priority priority = job_priority::normal;
  uint64_t seq = 0;
};

/// Jobs the manager just gave actors, queued at their adapter in one
/// message (one per adapter and group commit, not one per job).
struct enqueue_jobs {
  std::vector<enqueue_job> jobs;
};

/// An instance can take `credit` more jobs.
struct want_work {
  caf::actor instance;
  uint32_t credit = 0;
};

/// The adapter hands a queued job to an instance.
struct work_item {
  caf::actor job;
};

/// Cancel of a job an instance holds.
struct cancel_attempt {
  std::string job_id;
};

// -- adapter gateway -> external instance proxy
// ---------------------------------

/// An external instance reported the outcome of a job it held.
struct instance_result {
  std::string job_id;
  attempt_result res;
  /// Credit granted along with the result.
  uint32_t credit = 0;
};

/// An external instance can take `credit` more jobs.
struct instance_credit {
  uint32_t credit = 0;
};

/// A job actor reached a durable final state and is about to quit; the
/// manager sends its result callbacks.
struct job_done {
  job_record job;
  std::vector<std::string> callbacks;
};

/// A job actor changed state (counters).
struct job_transition {
  std::string adapter;
  job_state from;
  job_state to;
};

/// Asks the repeater whether and when to try again.
struct retry_request {
  uint32_t attempts = 0;
  retry_policy policy;
  uint64_t retry_after_ms = 0;
};

struct retry_decision {
  bool retry = false;
  uint64_t delay_ms = 0;
};

} // namespace ns

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::jobs_accepted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::job_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::callbacks_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::stats_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::metrics_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::adapter_changed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::take_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::attempt_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::job_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::job_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::enqueue_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::enqueue_jobs)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::want_work)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::work_item)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::cancel_attempt)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::instance_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::instance_credit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::job_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::job_transition)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::retry_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::retry_decision)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::job_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::http_outcome)
