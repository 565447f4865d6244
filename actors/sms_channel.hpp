#pragma once

#include <string_view>

#include <boost/json/object.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/job_messages.hpp"
#include "actors/outbound_http.hpp"

// A generic HTTP SMS gateway: the admin describes the request (method, URL,
// headers, a Mustache body template with {{to}} and {{text}}) and what
// success looks like.

namespace ns {

/// The body sent when config.body_template is not set.
inline constexpr const char* sms_default_body
  = R"({"to":"{{to}}","text":"{{text}}"})";

/// E.164: '+', a non-zero digit, at most 15 digits in all.
bool is_e164(std::string_view phone);

/// `to` (E.164) and a non-empty `text`.
caf::error check_sms_params(const boost::json::object& params);

/// Renders config.body_template with {to, text} (JSON-escaped for a JSON
/// content type, URL-encoded for a form, raw otherwise); GET sends it as the
/// query string.
caf::expected<http_call> sms_call(const boost::json::object& config,
                                  const boost::json::object& params);

/// Success: the status is in config.success_status (default any 2xx) and,
/// when config.success_field names a field of a JSON answer (dotted path),
/// that field equals config.success_value. 408, 429 and 5xx are retryable;
/// anything else failed with the gateway's answer.
attempt_result sms_outcome(const http_outcome& out,
                           const boost::json::object& config);

} // namespace ns
