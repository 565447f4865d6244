#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

// The ns adapter protocol (docs/adapter-protocol.md): every message is two
// ZeroMQ frames, [type][JSON object]. Both nsd and the SDK encode and decode
// through these pure functions, so the two sides cannot drift apart.

namespace ns::adapter_protocol {

/// The protocol version this build speaks (hello.protocol).
inline constexpr int64_t version = 1;

/// Largest body frame nsd accepts from an instance.
inline constexpr size_t max_body_bytes = 1u << 20;

/// Most credit an instance may hold at once.
inline constexpr uint32_t max_credit = 10'000;

enum class msg_type : uint8_t {
  hello,     // instance -> nsd
  welcome,   // nsd -> instance
  refuse,    // nsd -> instance: hello refused
  job,       // nsd -> instance
  result,    // instance -> nsd
  credit,    // instance -> nsd
  cancel,    // nsd -> instance
  heartbeat, // both ways
  bye,       // both ways: the session ends
};

std::string_view to_string(msg_type x);
std::optional<msg_type> parse_type(std::string_view text);

/// Refusal and bye codes.
namespace code {
inline constexpr const char* malformed = "malformed";
inline constexpr const char* unsupported_version = "unsupported_version";
inline constexpr const char* bad_key = "bad_key";
inline constexpr const char* adapter_blocked = "adapter_blocked";
inline constexpr const char* adapter_deleted = "adapter_deleted";
inline constexpr const char* key_rotated = "key_rotated";
inline constexpr const char* unknown_instance = "unknown_instance";
inline constexpr const char* already_welcomed = "already_welcomed";
inline constexpr const char* heartbeat_timeout = "heartbeat_timeout";
inline constexpr const char* shutting_down = "shutting_down";
inline constexpr const char* client_closed = "client_closed";
} // namespace code

struct hello {
  int64_t protocol = version;
  std::string key;
  uint32_t credit = 0;
  /// Free text that names the instance in logs and the admin view.
  std::string name;
};

struct welcome {
  std::string instance_id;
  std::string adapter;
  uint64_t heartbeat_ms = 0;
  uint64_t timeout_ms = 0;
};

/// The body of `refuse` and of `bye`.
struct refusal {
  std::string code;
  std::string message;
};

struct job {
  std::string job_id;
  std::string idempotency_key;
  uint32_t attempt = 0;
  std::string priority;
  std::string create_time;
  std::string expire_time;
  /// expire_time as Unix milliseconds: an instance refuses the job from then.
  uint64_t expire_at_ms = 0;
  boost::json::value params;
};

enum class outcome : uint8_t { succeeded, failed, canceled, expired };

std::string_view to_string(outcome x);

struct result {
  std::string job_id;
  outcome what = outcome::succeeded;
  bool retryable = false;
  std::string message;
  uint64_t retry_after_ms = 0;
  /// Credit granted along with the result (saves a `credit` message).
  uint32_t credit = 0;
};

struct credit {
  uint32_t credit = 0;
};

struct cancel {
  std::string job_id;
};

std::string encode(const hello& x);
std::string encode(const welcome& x);
std::string encode(const refusal& x);
std::string encode(const job& x);
/// The same, with `params` given as JSON text that is spliced in as is.
std::string encode(const job& x, std::string_view params_json);
std::string encode(const result& x);
std::string encode(const credit& x);
std::string encode(const cancel& x);

/// Decoders: nullopt and `why` set when the body is not valid JSON, not an
/// object, or a field is missing, of the wrong type or out of range. Unknown
/// fields are ignored (forward compatibility).
std::optional<hello> decode_hello(std::string_view body, std::string& why);
std::optional<welcome> decode_welcome(std::string_view body, std::string& why);
std::optional<refusal> decode_refusal(std::string_view body, std::string& why);
std::optional<job> decode_job(std::string_view body, std::string& why);
std::optional<result> decode_result(std::string_view body, std::string& why);
std::optional<credit> decode_credit(std::string_view body, std::string& why);
std::optional<cancel> decode_cancel(std::string_view body, std::string& why);
/// A heartbeat body must be a JSON object (`{}`).
bool decode_empty(std::string_view body, std::string& why);

} // namespace ns::adapter_protocol
