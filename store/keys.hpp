#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ns::store::keys {

// All RocksDB key layouts live here, so that an ordering or a prefix is decided
// in one place. Integers are big-endian so that byte order is numeric order.

/// Appends `x` as 8 big-endian bytes.
void append_u64(std::string& out, uint64_t x);

/// Reads 8 big-endian bytes at `pos`; nullopt when `in` is too short.
std::optional<uint64_t> read_u64(std::string_view in, size_t pos = 0);

/// `clients` family: client id -> client record.
std::string client(std::string_view id);

/// `adapters` family: adapter name -> adapter record.
std::string adapter(std::string_view name);

/// `meta` family: schema version of the data directory.
std::string schema_version();

/// `due` family: (instant in ms since the epoch, job id), ordered by instant.
std::string due(uint64_t at_ms, std::string_view job_id);

struct due_entry {
  uint64_t at_ms;
  std::string_view job_id;
};

/// Splits a key made by due(); nullopt for a malformed key.
std::optional<due_entry> parse_due(std::string_view key);

/// `idempotency` family: (client id, idempotency key). The length prefix keeps
/// ("ab","c") and ("a","bc") apart and makes a client's keys one prefix.
std::string idempotency(std::string_view client_id, std::string_view key);

/// The prefix shared by every idempotency() key of one client.
std::string idempotency_prefix(std::string_view client_id);

/// Value of an idempotency entry: when it was made and the job it names.
std::string idempotency_value(uint64_t created_ms, std::string_view job_id);

struct idempotency_entry {
  uint64_t created_ms;
  std::string_view job_id;
};

std::optional<idempotency_entry> parse_idempotency_value(std::string_view v);

/// `jobs` family: the job id itself (ids sort by time).
std::string job(std::string_view id);

/// `active` family: (priority, job id) of every non-final job. Scanning it
/// in key order visits jobs by priority, then oldest first: the backlog order.
std::string active(uint8_t priority, std::string_view job_id);

/// The prefix of every active() key of one priority.
std::string active_prefix(uint8_t priority);

struct active_entry {
  uint8_t priority;
  std::string_view job_id;
};

std::optional<active_entry> parse_active(std::string_view key);

/// `callbacks` family: (job id, callback URL).
std::string callback(std::string_view job_id, std::string_view url);

/// The prefix shared by every callback() key of one job.
std::string callback_prefix(std::string_view job_id);

} // namespace ns::store::keys
