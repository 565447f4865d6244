#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <caf/expected.hpp>

// The admin domain: client services and adapters as ns stores them.

namespace ns {

/// A client's token bucket: `rps` tokens per second, at most `burst` saved.
struct rate_limit {
  uint64_t rps = 0;
  uint64_t burst = 0;
};

/// Which adapters a client may use: all of them, or the named ones.
struct adapter_selection {
  bool all = false;
  std::vector<std::string> names;

  bool allows(std::string_view adapter) const;
};

struct client_record {
  std::string id;
  std::string name;
  adapter_selection adapters;
  std::optional<rate_limit> limit;
  bool blocked = false;
  uint64_t created_ms = 0;
  uint64_t updated_ms = 0;
  /// SHA-256 of the API key (hex); the key itself is never stored.
  std::string key_hash;
  /// Signs result callbacks; ns must be able to compute the HMAC, so it is
  /// kept.
  std::string signing_secret;
};

enum class adapter_type : uint8_t {
  webhook,
  smtp,
  telegram,
  sms,
  mattermost,
  external,
};

std::string_view to_string(adapter_type x);
bool parse_adapter_type(std::string_view text, adapter_type& out);

/// The comma-separated list of every type, for error messages.
std::string adapter_type_list();

struct retry_policy {
  uint32_t max_attempts = 5;
  uint64_t initial_backoff_ms = 1000;
  uint64_t max_backoff_ms = 60'000;
};

/// Some fields of a retry policy; the others keep their current value.
struct retry_patch {
  std::optional<uint32_t> max_attempts;
  std::optional<uint64_t> initial_backoff_ms;
  std::optional<uint64_t> max_backoff_ms;
};

/// `base` with the fields `patch` names replaced.
retry_policy merge(retry_policy base, const retry_patch& patch);

/// The policy must make sense as a whole (initial backoff <= max backoff).
caf::error validate_retry(const retry_policy& x);

struct adapter_record {
  std::string name;
  adapter_type type = adapter_type::webhook;
  boost::json::object config;
  boost::json::value params_schema = boost::json::object{};
  retry_policy retry;
  uint64_t default_ttl_s = 86'400;
  uint32_t concurrency = 64;
  bool blocked = false;
  uint64_t created_ms = 0;
  uint64_t updated_ms = 0;
  /// Bumped on every change; a compiled params schema belongs to one version.
  uint64_t version = 1;
  /// SHA-256 of the adapter key (external adapters only).
  std::string key_hash;
};

// -- what an admin asks for (validated at the HTTP edge)
// -----------------------

struct client_spec {
  std::string name;
  adapter_selection adapters;
  std::optional<rate_limit> limit;
  bool blocked = false;
};

struct client_patch {
  std::optional<bool> blocked;
  std::optional<adapter_selection> adapters;
  /// Outer optional: present in the patch; inner: null clears the limit.
  std::optional<std::optional<rate_limit>> limit;
};

struct adapter_spec {
  std::string name;
  adapter_type type = adapter_type::webhook;
  boost::json::object config;
  boost::json::value params_schema = boost::json::object{};
  retry_policy retry;
  uint64_t default_ttl_s = 86'400;
  uint32_t concurrency = 64;
  bool blocked = false;
};

struct adapter_patch {
  std::optional<bool> blocked;
  std::optional<boost::json::object> config;
  std::optional<boost::json::value> params_schema;
  std::optional<retry_patch> retry;
  std::optional<uint64_t> default_ttl_s;
  std::optional<uint32_t> concurrency;
};

// -- rules of the domain
// ---------------------------------------------------------

/// Checks the settings a channel type needs (e.g. a webhook's http(s) `url`).
caf::error validate_adapter_config(adapter_type type,
                                   const boost::json::object& config);

/// Adapter names are used in URLs and queue names: [a-z0-9][a-z0-9_.-]{0,63}.
bool valid_adapter_name(std::string_view name);

/// A copy of `config` with every secret-looking value replaced by "***".
boost::json::object mask_secrets(const boost::json::object& config);

// -- storage encoding (JSON; admin records are few and rarely written)
// -----------

std::string encode(const client_record& x);
std::string encode(const adapter_record& x);
caf::expected<client_record> decode_client(std::string_view bytes);
caf::expected<adapter_record> decode_adapter(std::string_view bytes);

} // namespace ns
