#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "actors/actors.hpp"
#include "actors/instance_board.hpp"
#include "actors/job_ingest.hpp"
#include "actors/registry.hpp"
#include "net/address_policy.hpp"
#include "net/http_server.hpp"

namespace ns::net {

/// What the HTTP routes need from the rest of the node.
struct api_context {
  registry_actor registry;
  std::shared_ptr<registry_view> view;
  std::string admin_token;
  /// Set once recovery is done and the store is writable (/readyz).
  std::shared_ptr<std::atomic<bool>> ready;
  job_manager_actor jobs;
  std::shared_ptr<job_ingest> ingest;
  store::group_commit* commit = nullptr;
  /// Connected external adapter instances (GET /v1/adapters/{name}).
  std::shared_ptr<const instance_board> instances;
  /// Which IP literals a `callback_url` may name (security.callback_allow).
  address_policy callback_policy;
};

/// The HTTP API: routing, authentication, validation at the edge, then a
/// message to the owning actor. Never blocks the calling HTTP thread.
handler_fn make_api(api_context ctx);

} // namespace ns::net
