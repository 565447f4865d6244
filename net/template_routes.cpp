#include "net/template_routes.hpp"

#include <charconv>

#include <boost/json/serialize.hpp>
#include <caf/send.hpp>

#include "actors/clock.hpp"
#include "config/error.hpp"
#include "net/http_errors.hpp"
#include "net/json_fields.hpp"

namespace json = boost::json;

namespace ns::net {

namespace {

using json_fields::invalid;

response json_answer(unsigned status, const json::object& body) {
  response res;
  res.status = status;
  res.body = json::serialize(body);
  return res;
}

/// `version=N` from a query string; 0 when absent.
caf::expected<uint64_t> version_of(std::string_view query) {
  constexpr std::string_view key = "version=";
  auto pos = query.find(key);
  if (pos == std::string_view::npos)
    return uint64_t{0};
  auto text = query.substr(pos + key.size());
  text = text.substr(0, text.find('&'));
  uint64_t v = 0;
  auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (err != std::errc{} || ptr != text.data() + text.size() || v == 0)
    return invalid("version",
                   "query parameter 'version' must be a positive "
                   "integer");
  return v;
}

} // namespace

caf::expected<template_spec> parse_template_spec(std::string_view body,
                                                 bool update) {
  // The one edge parser: its depth limit and its check for repeated keys.
  auto parsed = json_fields::parse_body(body);
  if (!parsed)
    return parsed.error();
  auto obj = json_fields::to_boost(*parsed);
  for (auto& [k, v] : obj)
    if (k != "parts" && k != "strict" && (update || k != "name"))
      return invalid(k, "unknown field '" + std::string{k} + "'");
  template_spec spec;
  if (!update) {
    auto* name = obj.if_contains("name");
    if (name == nullptr || !name->is_string()
        || !valid_template_name(name->get_string()))
      return invalid("name",
                     "field 'name' is required: [a-z0-9][a-z0-9_.-]"
                     "{0,63}");
    spec.name = std::string{name->get_string()};
  }
  auto* parts = obj.if_contains("parts");
  if (parts == nullptr || !parts->is_object())
    return invalid("parts",
                   "field 'parts' is required: an object of "
                   "Mustache templates, e.g. {\"text\": \"Hi "
                   "{{name}}\"}");
  spec.parts = parts->get_object();
  if (auto* s = obj.if_contains("strict")) {
    if (!s->is_bool())
      return invalid("strict", "field 'strict' must be true or false");
    spec.strict = s->get_bool();
  }
  if (auto err2 = check_template_parts(spec.parts))
    return err2;
  return spec;
}

json::object template_json(const template_record& t, const template_set* all) {
  json::object o{
    {"adapter", t.adapter}, {"name", t.name},
    {"version", t.version}, {"parts", t.parts},
    {"strict", t.strict},   {"create_time", clock::rfc3339(t.created_ms)}};
  if (all != nullptr)
    if (auto i = all->by_name.find(t.name); i != all->by_name.end()) {
      json::array versions;
      for (auto& [v, x] : i->second)
        versions.push_back(v);
      o["versions"] = std::move(versions);
    }
  return o;
}

bool is_template_route(endpoint ep) {
  return ep == endpoint::list_templates || ep == endpoint::create_template
    || ep == endpoint::get_template || ep == endpoint::update_template
    || ep == endpoint::delete_template;
}

void handle_template_route(const api_context& ctx,
                           const registry_snapshot& snap, const route_result& r,
                           const request& req, respond_fn respond) {
  auto* adapter = snap.adapter(r.param);
  if (adapter == nullptr)
    return respond(error_response(ec::not_found,
                                  "adapter '" + r.param + "' does not exist"));
  auto* set = adapter->templates.get();
  auto reply = [respond](unsigned status) {
    return [respond, status](caf::expected<template_record> res) {
      if (!res)
        return respond(error_response(res.error()));
      respond(json_answer(status, template_json(*res)));
    };
  };
  switch (r.ep) {
    case endpoint::list_templates: {
      json::array out;
      if (set != nullptr)
        for (auto& [name, versions] : set->by_name)
          if (!versions.empty())
            out.push_back(template_json(*versions.rbegin()->second, set));
      return respond(
        json_answer(200, json::object{{"templates", std::move(out)}}));
    }
    case endpoint::get_template: {
      auto version = version_of(req.query);
      if (!version)
        return respond(error_response(version.error()));
      auto* t = set != nullptr ? set->find(r.param2, *version) : nullptr;
      if (t == nullptr)
        return respond(error_response(
          ec::not_found,
          "adapter '" + r.param + "' has no template '" + r.param2 + "'"
            + (*version != 0 ? " version " + std::to_string(*version)
                             : std::string{})));
      return respond(json_answer(200, template_json(*t, set)));
    }
    case endpoint::create_template:
    case endpoint::update_template: {
      auto update = r.ep == endpoint::update_template;
      auto spec = parse_template_spec(req.body, update);
      if (!spec)
        return respond(error_response(spec.error()));
      if (update)
        spec->name = r.param2;
      caf::anon_send(ctx.registry,
                     put_template_request{r.param, std::move(*spec), update,
                                          reply(update ? 200 : 201)});
      return;
    }
    case endpoint::delete_template:
      caf::anon_send(
        ctx.registry,
        delete_template_request{r.param, r.param2,
                                [respond](caf::expected<caf::unit_t> res) {
                                  if (!res)
                                    return respond(error_response(res.error()));
                                  response out;
                                  out.status = 204;
                                  out.content_type.clear();
                                  respond(std::move(out));
                                }});
      return;
    default:
      respond(error_response(ec::internal, "unrouted template endpoint"));
  }
}

} // namespace ns::net
