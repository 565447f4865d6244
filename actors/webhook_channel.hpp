#pragma once

#include "actors/channels.hpp"
#include "actors/outbound_http.hpp"

// The built-in webhook channel: POSTs each job as JSON (docs/channels.md) to
// config.url, with config.headers added and config.timeout_ms bounding the
// call.

namespace ns {

/// The call that delivers `job`.
http_call webhook_call(const adapter_record& adapter, const job_record& job);

/// Maps one HTTP outcome to the job's attempt result: 2xx succeeded; 408,
/// 429, 5xx, timeouts and connection errors retryable; other answers failed.
attempt_result classify(const http_outcome& out);

/// Sends each job with webhook_call and maps its answer with classify.
send_fn webhook_sender(outbound_http* http);

} // namespace ns
