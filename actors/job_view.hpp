#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "actors/job.hpp"

namespace ns {

/// A job as GET /v1/jobs/{id} shows it; result callbacks send the same.
boost::json::object job_json(const job_record& job);

/// What a channel receives: id, idempotency key, params, attempt.
std::string delivery_json(const job_record& job);

} // namespace ns
