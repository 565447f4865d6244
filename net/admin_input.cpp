#include "net/admin_input.hpp"

#include <initializer_list>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <simdjson.h>

#include "config/error.hpp"
#include "net/json_fields.hpp"

namespace ns::net {

namespace {

using namespace json_fields;


caf::expected<boost::json::object> get_object(element v,
                                              std::string_view field) {
  if (v.type() != element_type::OBJECT)
    return invalid(field, "field '" + std::string{field}
                            + "' must be a JSON object");
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
      return invalid("adapters", "field 'adapters' must be a list of adapter "
                                 "names or \"*\" for all");
    sel.all = true;
    return sel;
  }
  simdjson::dom::array arr;
  if (v.get_array().get(arr))
    return invalid("adapters", "field 'adapters' must be a list of adapter "
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
    return invalid("rate_limit", "field 'rate_limit' must be an object "
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

} // namespace

caf::expected<client_spec> parse_client_spec(std::string_view body) {
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  if (auto err = only_known(*obj, {"name", "adapters", "rate_limit", "blocked"}))
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
    return invalid("adapters", "field 'adapters' is required: a list of "
                               "adapter names, or \"*\" for all");
  auto sel = get_selection(v);
  if (!sel)
    return sel.error();
  spec.adapters = std::move(*sel);
  if (!(*obj)["rate_limit"].get(v)) {
    auto rl = get_rate_limit(v);
    if (!rl)
      return rl.error();
    spec.limit = *rl;
  }
  if (!(*obj)["blocked"].get(v)) {
    auto b = get_bool(v, "blocked");
    if (!b)
      return b.error();
    spec.blocked = *b;
  }
  return spec;
}

caf::expected<client_patch> parse_client_patch(std::string_view body) {
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  element v;
  for (auto field : {"name", "id"})
    if (!(*obj)[field].get(v))
      return invalid(field, std::string{"field '"} + field
                              + "' cannot be changed; create a new client");
  if (auto err = only_known(*obj, {"blocked", "adapters", "rate_limit"}))
    return err;
  client_patch patch;
  if (!(*obj)["blocked"].get(v)) {
    auto b = get_bool(v, "blocked");
    if (!b)
      return b.error();
    patch.blocked = *b;
  }
  if (!(*obj)["adapters"].get(v)) {
    auto sel = get_selection(v);
    if (!sel)
      return sel.error();
    patch.adapters = std::move(*sel);
  }
  if (!(*obj)["rate_limit"].get(v)) {
    auto rl = get_rate_limit(v);
    if (!rl)
      return rl.error();
    patch.limit = *rl;
  }
  return patch;
}

caf::expected<adapter_spec> parse_adapter_spec(std::string_view body) {
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  if (auto err = only_known(*obj, {"name", "type", "config", "params_schema",
                                   "retry", "default_ttl_s", "concurrency",
                                   "blocked"}))
    return err;
  adapter_spec spec;
  element v;
  if ((*obj)["name"].get(v))
    return invalid("name", "field 'name' is required");
  auto name = get_string(v, "name", 64);
  if (!name)
    return name.error();
  if (!valid_adapter_name(*name))
    return invalid("name", "field 'name' must match [a-z0-9][a-z0-9_.-]* "
                           "(at most 64 characters)");
  spec.name = std::move(*name);
  if ((*obj)["type"].get(v))
    return invalid("type", "field 'type' is required: one of "
                             + adapter_type_list());
  auto type = get_string(v, "type", 32);
  if (!type || !parse_adapter_type(*type, spec.type))
    return invalid("type", "field 'type' must be one of "
                             + adapter_type_list());
  if (!(*obj)["config"].get(v)) {
    auto cfg = get_object(v, "config");
    if (!cfg)
      return cfg.error();
    spec.config = std::move(*cfg);
  }
  if (!(*obj)["params_schema"].get(v)) {
    auto schema = get_schema(v);
    if (!schema)
      return schema.error();
    spec.params_schema = std::move(*schema);
  }
  if (!(*obj)["retry"].get(v)) {
    auto retry = get_retry(v);
    if (!retry)
      return retry.error();
    spec.retry = merge(retry_policy{}, *retry);
  }
  if (!(*obj)["default_ttl_s"].get(v)) {
    auto ttl = get_uint(v, "default_ttl_s", 1, max_ttl_s);
    if (!ttl)
      return ttl.error();
    spec.default_ttl_s = *ttl;
  }
  if (!(*obj)["concurrency"].get(v)) {
    auto c = get_uint(v, "concurrency", 1, max_concurrency);
    if (!c)
      return c.error();
    spec.concurrency = static_cast<uint32_t>(*c);
  }
  if (!(*obj)["blocked"].get(v)) {
    auto b = get_bool(v, "blocked");
    if (!b)
      return b.error();
    spec.blocked = *b;
  }
  return spec;
}

caf::expected<adapter_patch> parse_adapter_patch(std::string_view body) {
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  element v;
  for (auto field : {"name", "type"})
    if (!(*obj)[field].get(v))
      return invalid(field, std::string{"field '"} + field
                              + "' cannot be changed; create a new adapter");
  if (auto err = only_known(*obj, {"blocked", "config", "params_schema",
                                   "retry", "default_ttl_s", "concurrency"}))
    return err;
  adapter_patch patch;
  if (!(*obj)["blocked"].get(v)) {
    auto b = get_bool(v, "blocked");
    if (!b)
      return b.error();
    patch.blocked = *b;
  }
  if (!(*obj)["config"].get(v)) {
    auto cfg = get_object(v, "config");
    if (!cfg)
      return cfg.error();
    patch.config = std::move(*cfg);
  }
  if (!(*obj)["params_schema"].get(v)) {
    auto schema = get_schema(v);
    if (!schema)
      return schema.error();
    patch.params_schema = std::move(*schema);
  }
  if (!(*obj)["retry"].get(v)) {
    // Only the named fields change; the registry merges and re-checks.
    auto retry = get_retry(v);
    if (!retry)
      return retry.error();
    patch.retry = *retry;
  }
  if (!(*obj)["default_ttl_s"].get(v)) {
    auto ttl = get_uint(v, "default_ttl_s", 1, max_ttl_s);
    if (!ttl)
      return ttl.error();
    patch.default_ttl_s = *ttl;
  }
  if (!(*obj)["concurrency"].get(v)) {
    auto c = get_uint(v, "concurrency", 1, max_concurrency);
    if (!c)
      return c.error();
    patch.concurrency = static_cast<uint32_t>(*c);
  }
  return patch;
}

} // namespace ns::net
