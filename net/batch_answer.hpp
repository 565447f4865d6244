#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "actors/job.hpp"

// The answers naming accepted jobs (POST /v1/jobs and /v1/jobs/batch),
// written as text in one pass. Pure.
//
// The single answer is on the accept path of every job. A batch answer has
// up to 1000 entries and is finished on the group commit's thread, the one
// thread every durable job goes through: building a boost::json tree of 1000
// objects there and serializing it cost ~15 % of that thread. The bytes are
// exactly what serializing that tree gave.

namespace ns::net {

/// One item of a batch: what the answer names of an accepted job, or why the
/// item was not accepted (`error` set).
struct batch_result {
  std::string job_id;
  job_state state = job_state::queued;
  uint64_t create_ms = 0;
  uint64_t expire_ms = 0;
  uint64_t scheduled_ms = 0; // 0: not scheduled
  caf::error error;
};

/// The body of POST /v1/jobs for an accepted (or duplicate) job: its
/// `job_id`, `state`, `create_time`, `expire_time` (and `scheduled_at`).
std::string accepted_body(const job_record& job);

/// Takes from `job` only what the answer names.
batch_result batch_accepted(job_record&& job);

/// `{"results":[...]}`: per item the accepted job's object (as
/// accepted_body), or `{"error":{...}}`.
std::string batch_answer_body(const std::vector<batch_result>& results);

} // namespace ns::net
