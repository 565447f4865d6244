#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <caf/expected.hpp>

#include "actors/model.hpp"

// Message templates: stored per adapter, versioned, rendered with Mustache
// (kainjow's header-only library) into the params a channel sends.

namespace ns {

/// One version of one template. Every change makes a new version; old ones
/// stay so that a job pinned to a version renders the same at every attempt.
struct template_record {
  std::string adapter;
  std::string name;
  uint64_t version = 1;
  /// Named parts ("subject", "text", "html", ...), each a Mustache template
  /// whose output becomes the param of that name.
  boost::json::object parts;
  /// When set, every name the template uses must be present in `data`
  /// (Mustache itself renders a missing name as empty).
  bool strict = false;
  uint64_t created_ms = 0;
};

/// Every version of every template of one adapter.
struct template_set {
  std::map<std::string,
           std::map<uint64_t, std::shared_ptr<const template_record>>>
    by_name;

  /// The version asked for, or the latest when `version` is 0; nullptr when
  /// there is none.
  const template_record* find(std::string_view name, uint64_t version) const;
};

/// Template names share the rules of adapter names.
bool valid_template_name(std::string_view name);

/// Every part must be a string that parses as Mustache; an error names the
/// part and the parser's message.
caf::error check_template_parts(const boost::json::object& parts);

/// How the values of `{{x}}` are escaped (`{{{x}}}` never is).
using escape_fn = std::function<std::string(const std::string&)>;

/// Renders one Mustache `text` with `data`; with `escape_html` the values of
/// `{{x}}` are HTML-escaped. `missing` collects names the template used that
/// `data` lacks.
caf::expected<std::string>
render_mustache(const std::string& text, const boost::json::value& data,
                bool escape_html, std::vector<std::string>* missing = nullptr);

/// The same with any escaping (e.g. JSON strings, URL encoding).
caf::expected<std::string>
render_mustache(const std::string& text, const boost::json::value& data,
                const escape_fn& escape,
                std::vector<std::string>* missing = nullptr);

/// Whether the part `part` of a template for channel `type` is HTML that
/// needs escaping: smtp's `html`, and telegram's `text` under parse_mode HTML.
bool part_is_html(adapter_type type, std::string_view part,
                  const boost::json::object& params,
                  const boost::json::object& config);

/// Whether nsd renders templates for this channel type: the built-in ones
/// it formats itself (smtp, telegram, sms, mattermost). A webhook's params
/// pass through untouched, even a field named `template`.
bool renders_templates(adapter_type type);

/// Whether `params` ask for a template (`template` + `data`).
bool uses_template(const boost::json::object& params);

struct rendered_params {
  /// What the channel sends: params without template/template_version/data,
  /// the rendered parts set.
  boost::json::object params;
  /// The version used (what a job is pinned to).
  uint64_t version = 0;
};

/// Renders `params` with the templates of `adapter`: an ec::invalid_params
/// error when the template or version does not exist, `data` is not an
/// object, or (strict) names are missing.
caf::expected<rendered_params> render_params(const adapter_record& adapter,
                                             const template_set* templates,
                                             const boost::json::object& params);

// -- storage (`templates` family)
// ------------------------------------------------

/// (adapter, name, version): an adapter's templates are one prefix, a
/// template's versions another, in version order.
std::string template_key(std::string_view adapter, std::string_view name,
                         uint64_t version);
std::string template_prefix(std::string_view adapter,
                            std::string_view name = {});

std::string encode(const template_record& x);
caf::expected<template_record> decode_template(std::string_view bytes);

} // namespace ns
