#pragma once

#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "actors/job.hpp"
#include "actors/job_messages.hpp"

namespace ns {

/// A job as GET /v1/jobs/{id} shows it; result callbacks send the same.
boost::json::object job_json(const job_record& job);

/// A job's result callbacks as GET shows them (`callbacks`).
boost::json::array callbacks_json(const std::vector<callback_status>& cbs);

/// What a channel receives: id, idempotency key, params, attempt.
std::string delivery_json(const job_record& job);

} // namespace ns
