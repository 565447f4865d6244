#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

// A notification job as ns stores and tracks it.

namespace ns {

enum class job_state : uint8_t {
  scheduled, // waits for scheduled_at
  queued,    // ready, waits for an adapter instance
  running,   // an instance took it
  retrying,  // failed retryably, waits for its next attempt
  canceling, // cancel asked while running; ends canceled if not sent
  succeeded,
  failed,
  expired,
  canceled,
};

std::string_view to_string(job_state x);
bool is_final(job_state x);

enum class job_priority : uint8_t { high = 0, normal = 1, low = 2 };

std::string_view to_string(job_priority x);
bool parse_priority(std::string_view text, job_priority& out);

struct job_record {
  std::string id;
  std::string client_id;
  std::string adapter;
  /// The params object as JSON text, exactly as validated.
  std::string params;
  std::string idempotency_key;
  std::string callback_url;
  std::string last_error;
  job_priority priority = job_priority::normal;
  job_state state = job_state::queued;
  uint32_t attempts = 0;
  uint64_t create_ms = 0;
  uint64_t expire_ms = 0;
  uint64_t scheduled_ms = 0; // 0: not scheduled
  uint64_t start_ms = 0;     // 0: never started
  uint64_t finish_ms = 0;    // 0: not final
  uint64_t retry_at_ms = 0;  // when retrying: the next attempt's instant
};

/// Compact binary encoding for the `jobs` column family (hot path: no JSON).
std::string encode(const job_record& x);
caf::expected<job_record> decode_job(std::string_view bytes);

/// The state byte of an encoded job without decoding the rest (compaction
/// filter, recovery).
std::optional<job_state> peek_state(std::string_view bytes);
/// The finish time of an encoded job without decoding the rest.
std::optional<uint64_t> peek_finish_ms(std::string_view bytes);

/// `<node>-<12 hex ms><8 hex sequence><4 hex random>`: names its owner node
/// and sorts by creation order.
std::string new_job_id(std::string_view node);

} // namespace ns
