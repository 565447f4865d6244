#include "net/admin_input.hpp"

#include <initializer_list>
#include <type_traits>

#include <simdjson.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "config/error.hpp"
#include "net/json_fields.hpp"

namespace ns::net {

namespace {

using namespace json_fields;

caf::expected<boost::json::object> get_object(element v,
                                              std::string_view field) {
  if (v.type() != element_type::OBJECT)
    return invalid(field,
                   "field '" + std::string{field} + "' must be a JSON object");
  return std::move(to_boost(v).get_object());
}

caf::expected<boost::json::value> get_schema(element v) {
  if (v.type() != element_type::OBJECT && v.type() != element_type::BOOL)
    return invalid("params_schema",
                   "field 'params_schema' must be a JSON Schema (an object, "
                   "or true/false)");
  return to_boost(v);
}

caf::expected<adapter_selection> get_selection(element v) {
  adapter_selection sel;
  std::string_view s;
  if (!v.get_string().get(s)) {
    if (s != "*")
      return invalid("adapters",
                     "field 'adapters' must be a list of adapter "
                     "names or \"*\" for all");
    sel.all = true;
    return sel;
  }
  simdjson::dom::array arr;
  if (v.get_array().get(arr))
    return invalid("adapters",
                   "field 'adapters' must be a list of adapter "
                   "names or \"*\" for all");
  for (auto item : arr) {
    std::string_view name;
    if (item.get_string().get(name) || !valid_adapter_name(name))
      return invalid("adapters",
                     "field 'adapters' must hold adapter names "
                     "([a-z0-9][a-z0-9_.-]*, at most 64 characters)");
    if (!sel.allows(name))
      sel.names.emplace_back(name);
  }
  return sel;
}

caf::expected<std::optional<rate_limit>> get_rate_limit(element v) {
  if (v.is_null())
    return std::optional<rate_limit>{};
  object obj;
  if (v.get_object().get(obj))
    return invalid("rate_limit",
                   "field 'rate_limit' must be an object "
                   "{\"rps\": N, \"burst\": M} or null");
  if (auto err = only_known(obj, {"rps", "burst"}, "rate_limit."))
    return err;
  rate_limit rl;
  element x;
  if (obj["rps"].get(x))
    return invalid("rate_limit.rps", "field 'rate_limit.rps' is required");
  auto rps = get_uint(x, "rate_limit.rps", 1, 10'000'000);
  if (!rps)
    return rps.error();
  rl.rps = *rps;
  rl.burst = rl.rps;
  if (!obj["burst"].get(x)) {
    auto burst = get_uint(x, "rate_limit.burst", 1, 100'000'000);
    if (!burst)
      return burst.error();
    rl.burst = *burst;
  }
  return std::optional<rate_limit>{rl};
}

caf::expected<retry_patch> get_retry(element v) {
  object obj;
  if (v.get_object().get(obj))
    return invalid("retry", "field 'retry' must be an object");
  if (auto err = only_known(
        obj, {"max_attempts", "initial_backoff_ms", "max_backoff_ms"},
        "retry."))
    return err;
  retry_patch out;
  element x;
  if (!obj["max_attempts"].get(x)) {
    auto n = get_uint(x, "retry.max_attempts", 1, 1000);
    if (!n)
      return n.error();
    out.max_attempts = static_cast<uint32_t>(*n);
  }
  constexpr uint64_t week_ms = 7ull * 24 * 3600 * 1000;
  if (!obj["initial_backoff_ms"].get(x)) {
    auto n = get_uint(x, "retry.initial_backoff_ms", 1, week_ms);
    if (!n)
      return n.error();
    out.initial_backoff_ms = *n;
  }
  if (!obj["max_backoff_ms"].get(x)) {
    auto n = get_uint(x, "retry.max_backoff_ms", 1, week_ms);
    if (!n)
      return n.error();
    out.max_backoff_ms = *n;
  }
  return out;
}

constexpr uint64_t max_ttl_s = 365ull * 24 * 3600;
constexpr uint64_t max_concurrency = 10'000;

/// A getter of a whole number in [lo, hi], as T.
template <class T = uint64_t>
auto whole_number(uint64_t lo, uint64_t hi) {
  return [lo, hi](element v, std::string_view field) -> caf::expected<T> {
    auto n = get_uint(v, field, lo, hi);
    if (!n)
      return n.error();
    return static_cast<T>(*n);
  };
}

/// A whole retry policy: the fields given over the defaults.
caf::expected<retry_policy> get_retry_policy(element v) {
  auto r = get_retry(v);
  if (!r)
    return r.error();
  return merge(retry_policy{}, *r);
}

/// Reads `field` with `get` into `out` when `obj` has it; an absent field
/// leaves `out` as it was.
template <class Get, class T>
caf::error read_present(const object& obj, std::string_view field, Get&& get,
                        T& out) {
  element v;
  if (obj[field].get(v))
    return {};
  auto x = [&] {
    if constexpr (std::is_invocable_v<Get&, element, std::string_view>)
      return get(v, field);
    else
      return get(v);
  }();
  if (!x)
    return x.error();
  out = std::move(*x);
  return {};
}

} // namespace

caf::expected<client_spec> parse_client_spec(std::string_view body) {
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  if (auto err
      = only_known(*obj, {"name", "adapters", "rate_limit", "blocked"}))
    return err;
  client_spec spec;
  element v;
  if ((*obj)["name"].get(v))
    return invalid("name", "field 'name' is required");
  auto name = get_string(v, "name", 128);
  if (!name)
    return name.error();
  spec.name = std::move(*name);
  if ((*obj)["adapters"].get(v))
    return invalid("adapters",
                   "field 'adapters' is required: a list of "
                   "adapter names, or \"*\" for all");
  auto sel = get_selection(v);
  if (!sel)
    return sel.error();
  spec.adapters = std::move(*sel);
  if (auto err = read_present(*obj, "rate_limit", get_rate_limit, spec.limit))
    return err;
  if (auto err = read_present(*obj, "blocked", get_bool, spec.blocked))
    return err;
  return spec;
}

caf::expected<client_patch> parse_client_patch(std::string_view body) {
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  element v;
  for (auto field : {"name", "id"})
    if (!(*obj)[field].get(v))
      return invalid(field,
                     std::string{"field '"} + field
                       + "' cannot be changed; create a new client");
  if (auto err = only_known(*obj, {"blocked", "adapters", "rate_limit"}))
    return err;
  client_patch patch;
  if (auto err = read_present(*obj, "blocked", get_bool, patch.blocked))
    return err;
  if (auto err = read_present(*obj, "adapters", get_selection, patch.adapters))
    return err;
  if (auto err = read_present(*obj, "rate_limit", get_rate_limit, patch.limit))
    return err;
  return patch;
}

caf::expected<adapter_spec> parse_adapter_spec(std::string_view body) {
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  if (auto err = only_known(*obj,
                            {"name", "type", "config", "params_schema", "retry",
                             "default_ttl_s", "concurrency", "blocked"}))
    return err;
  adapter_spec spec;
  element v;
  if ((*obj)["name"].get(v))
    return invalid("name", "field 'name' is required");
  auto name = get_string(v, "name", 64);
  if (!name)
    return name.error();
  if (!valid_adapter_name(*name))
    return invalid("name",
                   "field 'name' must match [a-z0-9][a-z0-9_.-]* "
                   "(at most 64 characters)");
  spec.name = std::move(*name);
  if ((*obj)["type"].get(v))
    return invalid("type",
                   "field 'type' is required: one of " + adapter_type_list());
  auto type = get_string(v, "type", 32);
  if (!type || !parse_adapter_type(*type, spec.type))
    return invalid("type",
                   "field 'type' must be one of " + adapter_type_list());
  if (auto err = read_present(*obj, "config", get_object, spec.config))
    return err;
  if (auto err
      = read_present(*obj, "params_schema", get_schema, spec.params_schema))
    return err;
  if (auto err = read_present(*obj, "retry", get_retry_policy, spec.retry))
    return err;
  if (auto err = read_present(*obj, "default_ttl_s", whole_number(1, max_ttl_s),
                              spec.default_ttl_s))
    return err;
  if (auto err = read_present(*obj, "concurrency",
                              whole_number<uint32_t>(1, max_concurrency),
                              spec.concurrency))
    return err;
  if (auto err = read_present(*obj, "blocked", get_bool, spec.blocked))
    return err;
  return spec;
}

caf::expected<adapter_patch> parse_adapter_patch(std::string_view body) {
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  element v;
  for (auto field : {"name", "type"})
    if (!(*obj)[field].get(v))
      return invalid(field,
                     std::string{"field '"} + field
                       + "' cannot be changed; create a new adapter");
  if (auto err = only_known(*obj,
                            {"blocked", "config", "params_schema", "retry",
                             "default_ttl_s", "concurrency"}))
    return err;
  adapter_patch patch;
  if (auto err = read_present(*obj, "blocked", get_bool, patch.blocked))
    return err;
  if (auto err = read_present(*obj, "config", get_object, patch.config))
    return err;
  if (auto err
      = read_present(*obj, "params_schema", get_schema, patch.params_schema))
    return err;
  // Only the named fields change; the registry merges and re-checks.
  if (auto err = read_present(*obj, "retry", get_retry, patch.retry))
    return err;
  if (auto err = read_present(*obj, "default_ttl_s", whole_number(1, max_ttl_s),
                              patch.default_ttl_s))
    return err;
  if (auto err = read_present(*obj, "concurrency",
                              whole_number<uint32_t>(1, max_concurrency),
                              patch.concurrency))
    return err;
  return patch;
}

} // namespace ns::net
