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

/// A job as its actor holds it while the job lives (up to `jobs.max_live` of
/// them at once): the fixed-size fields as they are, the seven strings packed
/// into one buffer. One allocation instead of up to four, and ~200 bytes less
/// in each job actor, which puts the actor in a smaller allocator class
/// (docs/benchmarks.md, RSS per live job).
class resident_job {
public:
  resident_job() = default;
  explicit resident_job(const job_record& x);

  job_priority priority = job_priority::normal;
  job_state state = job_state::queued;
  uint32_t attempts = 0;
  uint64_t create_ms = 0;
  uint64_t expire_ms = 0;
  uint64_t scheduled_ms = 0;
  uint64_t start_ms = 0;
  uint64_t finish_ms = 0;
  uint64_t retry_at_ms = 0;

  std::string_view id() const;
  std::string_view adapter() const;
  std::string_view last_error() const;
  void set_last_error(std::string_view text);

  /// The whole record (replies, the final job_done).
  job_record record() const;

private:
  /// The strings in job_record's order, each as a LEB128 length and its
  /// bytes; last_error comes last, so replacing it rewrites only the tail.
  std::string strings_ = std::string(7, '\0');

  std::string_view field(size_t index) const;
  size_t offset_of(size_t index) const;

  /// The same bytes as encode(x.record()), without building the record.
  friend std::string encode(const resident_job& x);
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
