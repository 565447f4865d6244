#pragma once

#include <string>
#include <string_view>

namespace ns::net {

/// Every endpoint of the HTTP API (method and path together).
enum class endpoint {
  healthz,
  readyz,
  metrics,
  list_clients,
  create_client,
  get_client,
  patch_client,
  delete_client,
  rotate_client_keys,
  list_adapters,
  create_adapter,
  get_adapter,
  patch_adapter,
  delete_adapter,
  rotate_adapter_key,
  submit_job,
  submit_batch,
  get_job,
  cancel_job,
  subscribe,
  stats,
  list_templates,
  create_template,
  get_template,
  update_template,
  delete_template,
};

/// The outcome of routing: an endpoint with its path parameter, or 404, or
/// 405 with the methods the path does allow.
struct route_result {
  enum class kind { found, not_found, method_not_allowed };
  kind outcome = kind::not_found;
  endpoint ep = endpoint::healthz;
  std::string param;  // the {id} or {name} segment, if the path has one
  std::string param2; // a second one: /v1/adapters/{name}/templates/{name}
  std::string allow;  // for 405: "GET, POST"
};

/// Pure: maps a method and a path (no query) to an endpoint.
route_result route(std::string_view method, std::string_view path);

} // namespace ns::net
