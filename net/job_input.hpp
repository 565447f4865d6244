#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "actors/job_ingest.hpp"
#include "net/address_policy.hpp"

// Validation of job request bodies at the edge. Pure functions.

namespace ns::net {

/// Most jobs one POST /v1/jobs/batch may carry.
inline constexpr size_t max_batch_jobs = 1000;

/// POST /v1/jobs. `idempotency_key` comes from the header. A `callback_url`
/// whose host is an IP address that `callbacks` refuses is invalid.
caf::expected<job_submission> parse_job(std::string_view body,
                                        std::string idempotency_key,
                                        const address_policy& callbacks);

/// POST /v1/jobs/batch: an error for the request as a whole (not JSON, no
/// `jobs` list, too many), else one result per item, in order. Items may carry
/// their own `idempotency_key`.
caf::expected<std::vector<caf::expected<job_submission>>>
parse_job_batch(std::string_view body, const address_policy& callbacks);

struct notification_request {
  std::string job_id;
  std::string callback_url;
};

/// POST /v1/notifications.
caf::expected<notification_request>
parse_notification(std::string_view body, const address_policy& callbacks);

/// An absolute http:// or https:// URL with a host.
bool valid_callback_url(std::string_view url);

} // namespace ns::net
