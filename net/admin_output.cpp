#include "net/admin_output.hpp"

#include "actors/clock.hpp"

namespace ns::net {

namespace json = boost::json;

json::object client_json(const client_record& c) {
  json::object o;
  o["id"] = c.id;
  o["name"] = c.name;
  if (c.adapters.all) {
    o["adapters"] = "*";
  } else {
    json::array names;
    for (auto& n : c.adapters.names)
      names.emplace_back(n);
    o["adapters"] = std::move(names);
  }
  if (c.limit)
    o["rate_limit"]
      = json::object{{"rps", c.limit->rps}, {"burst", c.limit->burst}};
  else
    o["rate_limit"] = nullptr;
  o["blocked"] = c.blocked;
  o["created_at"] = clock::rfc3339(c.created_ms);
  o["updated_at"] = clock::rfc3339(c.updated_ms);
  return o;
}

json::object client_json(const client_result& res) {
  auto o = client_json(res.client);
  if (!res.api_key.empty())
    o["api_key"] = res.api_key;
  if (!res.signing_secret.empty())
    o["signing_secret"] = res.signing_secret;
  return o;
}

json::object adapter_admin_json(const adapter_record& a) {
  json::object o;
  o["name"] = a.name;
  o["type"] = to_string(a.type);
  o["config"] = mask_secrets(a.config);
  o["params_schema"] = a.params_schema;
  o["retry"] = json::object{{"max_attempts", a.retry.max_attempts},
                            {"initial_backoff_ms", a.retry.initial_backoff_ms},
                            {"max_backoff_ms", a.retry.max_backoff_ms}};
  o["default_ttl_s"] = a.default_ttl_s;
  o["concurrency"] = a.concurrency;
  o["blocked"] = a.blocked;
  o["queue"] = a.name;
  o["version"] = a.version;
  // Filled from the live proxies where the caller knows them.
  o["instances"] = json::array{};
  o["created_at"] = clock::rfc3339(a.created_ms);
  o["updated_at"] = clock::rfc3339(a.updated_ms);
  return o;
}

json::object adapter_admin_json(const adapter_result& res) {
  auto o = adapter_admin_json(res.adapter);
  if (!res.api_key.empty())
    o["api_key"] = res.api_key;
  return o;
}

json::array instances_json(const std::vector<instance_view>& xs) {
  json::array out;
  for (auto& x : xs)
    out.push_back(json::object{
      {"id", x.id},
      {"peer", x.peer},
      {"name", x.name},
      {"connected_at", clock::rfc3339(x.connected_ms)},
      {"credit", x.credit},
      {"in_flight", x.in_flight},
      {"jobs_done", x.done},
      {"last_heartbeat", clock::rfc3339(x.last_heartbeat_ms)},
    });
  return out;
}

json::object adapter_client_json(const adapter_record& a) {
  return json::object{{"name", a.name},
                      {"type", to_string(a.type)},
                      {"params_schema", a.params_schema},
                      {"blocked", a.blocked}};
}

} // namespace ns::net
