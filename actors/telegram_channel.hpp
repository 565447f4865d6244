#pragma once

#include <boost/json/object.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/job_messages.hpp"
#include "actors/outbound_http.hpp"

// Telegram Bot API: sendMessage with the adapter's bot token.

namespace ns {

/// The public Bot API; `config.api_base` replaces it (tests, local servers).
inline constexpr const char* telegram_api_base = "https://api.telegram.org";

/// `chat_id` (string or integer; `config.chat_id` as default) and `text`.
caf::error check_telegram_params(const boost::json::object& config,
                                 const boost::json::object& params);

/// POST {api_base}/bot{token}/sendMessage with chat_id, text and, when given,
/// parse_mode and disable_notification.
caf::expected<http_call> telegram_call(const boost::json::object& config,
                                       const boost::json::object& params);

/// `ok: true` succeeded; 429 retryable after `parameters.retry_after`; 5xx
/// retryable; other answers (400, 403, ...) failed with Telegram's
/// `description`. The bot token never appears in a message.
attempt_result telegram_outcome(const http_outcome& out,
                                const boost::json::object& config);

} // namespace ns
