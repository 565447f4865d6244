#pragma once

#include <memory>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/actors.hpp"
#include "actors/job_context.hpp"

namespace ns {

struct webhook_state {
  static inline constexpr const char* name = "webhook";
  adapter_actor adapter;
  std::shared_ptr<const adapter_entry> entry;
  std::shared_ptr<const job_context> ctx;
  /// Credit granted to the adapter so far (follows `concurrency`).
  uint32_t granted = 0;
  uint32_t in_flight = 0;
};

/// Maps one HTTP outcome to the job's attempt result: 2xx succeeded; 408,
/// 429, 5xx, timeouts and connection errors retryable; other answers failed.
attempt_result classify(const http_outcome& out);

/// Parses Retry-After (delta-seconds or an HTTP date) into milliseconds.
uint64_t retry_after_ms(const std::string& header);

/// The built-in webhook channel: POSTs each job as JSON to `config.url`
/// (`config.headers` added, `config.timeout_ms` bounding the call) with at
/// most `concurrency` calls in flight.
caf::behavior webhook_instance(caf::stateful_actor<webhook_state>* self,
                               adapter_actor adapter,
                               std::shared_ptr<const adapter_entry> entry,
                               std::shared_ptr<const job_context> ctx);

} // namespace ns
