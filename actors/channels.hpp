#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/job.hpp"
#include "actors/job_context.hpp"
#include "actors/job_messages.hpp"
#include "actors/model.hpp"
#include "actors/outbound_http.hpp"
#include "actors/registry.hpp"

// The built-in channels (webhook, smtp, telegram, sms, mattermost): what each
// needs of a job's params, and how it sends them. One file pair per channel
// holds its request building and its answer mapping.

namespace ns {

/// Sends one job as its channel does; `done` runs once, on any thread, and
/// must not block.
using send_fn
  = std::function<void(const adapter_entry& adapter, const job_record& job,
                       std::function<void(attempt_result)> done)>;

/// Sends one job's final params (templates rendered): what a channel that
/// sends params (all but webhook) implements.
using deliver_fn = std::function<void(
  const adapter_record& adapter, const boost::json::object& params,
  const job_record& job, std::function<void(attempt_result)> done)>;

/// Checks `params` against what the adapter's channel needs (an
/// ec::invalid_params error naming the param), before a job is accepted.
caf::error check_channel_params(const adapter_record& adapter,
                                const boost::json::object& params);

/// The sender of a built-in channel type; empty for external.
send_fn channel_sender(adapter_type type, const job_context& ctx);

/// The params a job's delivery sends: its template rendered when it names
/// one. An error is a permanent failure (e.g. the pinned version was deleted).
caf::expected<boost::json::object> delivery_params(const adapter_entry& entry,
                                                   const job_record& job);

/// How many deliveries one adapter runs at once (smtp: its pool size).
uint32_t channel_concurrency(const adapter_record& adapter);

/// `config.rate_limit` in messages per second; 0 when unlimited.
double channel_rate_limit(const adapter_record& adapter);

// -- helpers the channels share
// ---------------------------------------------------

/// A success.
attempt_result succeeded();

/// A permanent failure with `message`.
attempt_result failed(std::string message);

/// An answer whose status is not a success: retryable for 408, 429 and 5xx
/// (after the answer's Retry-After), a permanent failure otherwise.
attempt_result status_failure(const http_outcome& out, std::string message);

/// Parses Retry-After (delta-seconds or an HTTP date) into milliseconds,
/// at most a day; 0 when absent, past or unreadable.
uint64_t retry_after_ms(const std::string& header);

/// `v` when it is a whole number >= 0 (2, 2.0), else nullopt. What a JSON
/// answer or config holds is not trusted: to_number() would throw on 1.5.
std::optional<uint64_t> whole_number(const boost::json::value& v);

/// config.timeout_ms when it is a positive integer, else `fallback`.
std::chrono::milliseconds call_timeout(const boost::json::object& config,
                                       std::chrono::milliseconds fallback);

/// An ec::invalid_params error for `params.<field>`.
caf::error param_error(std::string_view field, std::string message);

/// The string under `key` in params, else in config, else empty.
std::string text_of(const boost::json::object& params,
                    const boost::json::object& config, std::string_view key);

/// Maps a transport failure (status 0) like the webhook does: not sent or
/// retryable unless permanent (certificates, bad URLs).
attempt_result transport_failure(const http_outcome& out);

/// The answer body cut to a line of at most 200 characters.
std::string excerpt(std::string_view body);

} // namespace ns
