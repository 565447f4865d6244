#pragma once

#include <boost/json/object.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/channels.hpp"
#include "actors/outbound_smtp.hpp"

// Email over SMTP: one adapter per server (host, port, TLS mode, login).

namespace ns {

/// `to` (an address or a list), optional `cc`, `bcc`, `reply_to`, a string
/// `subject`, and `text` and/or `html`.
caf::error check_smtp_params(const boost::json::object& params);

/// The message and its envelope for one job (Message-ID from the job id).
caf::expected<smtp_call> smtp_message(const boost::json::object& config,
                                      const boost::json::object& params,
                                      const job_record& job);

/// Delivered: succeeded. A 4xx reply or a lost connection: retryable. A 5xx
/// reply, a refused login or a bad certificate: failed with the reason.
attempt_result smtp_result(const smtp_outcome& out);

/// The smtp channel's sender over `client`.
deliver_fn smtp_sender(outbound_smtp* client);

} // namespace ns
