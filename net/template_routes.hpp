#pragma once

#include <string_view>

#include <boost/json/object.hpp>
#include <caf/expected.hpp>

#include "actors/messages.hpp"
#include "actors/templates.hpp"
#include "net/api.hpp"
#include "net/router.hpp"

// The admin API of message templates: /v1/adapters/{name}/templates[/{t}].

namespace ns::net {

/// A template body: {"name", "parts", "strict"}; with `update` (PUT) the
/// name comes from the path and the body has no name.
caf::expected<template_spec> parse_template_spec(std::string_view body,
                                                 bool update);

/// A template as the admin API shows it, with the versions that exist.
boost::json::object template_json(const template_record& t,
                                  const template_set* all = nullptr);

bool is_template_route(endpoint ep);

/// Answers one template endpoint for the admin (already authenticated).
void handle_template_route(const api_context& ctx,
                           const registry_snapshot& snap, const route_result& r,
                           const request& req, respond_fn respond);

} // namespace ns::net
