#pragma once

#include <boost/json/object.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/job_messages.hpp"
#include "actors/outbound_http.hpp"

// Mattermost incoming webhooks.

namespace ns {

/// `text` or `attachments` (a list); channel, username, icon_url,
/// icon_emoji optional strings.
caf::error check_mattermost_params(const boost::json::object& params);

/// POST config.url with the params; config's channel, username, icon_url
/// and icon_emoji are defaults.
caf::expected<http_call> mattermost_call(const boost::json::object& config,
                                         const boost::json::object& params);

/// 2xx succeeded; 408, 429 (Retry-After) and 5xx retryable; other answers
/// failed with Mattermost's `message`.
attempt_result mattermost_outcome(const http_outcome& out);

} // namespace ns
