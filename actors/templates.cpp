#include "actors/templates.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <kainjow/mustache.hpp>

#include "config/error.hpp"
#include "config/json_limits.hpp"
#include "store/keys.hpp"

namespace json = boost::json;
namespace mstch = kainjow::mustache;

namespace ns {

namespace {

mstch::data to_data(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      mstch::data out{mstch::data::type::object};
      for (auto& [k, x] : v.get_object())
        out.set(std::string{k}, to_data(x));
      return out;
    }
    case json::kind::array: {
      mstch::data out{mstch::data::type::list};
      for (auto& x : v.get_array())
        out.push_back(to_data(x));
      return out;
    }
    case json::kind::string: return mstch::data{std::string{v.get_string()}};
    case json::kind::bool_: return mstch::data{v.get_bool()};
    case json::kind::null: return mstch::data{false};
    default:
      // Numbers as JSON writes them: 3, 2.5, 1e+20.
      return mstch::data{json::serialize(v)};
  }
}

/// Mustache's lookup, noting the names it cannot find (strict templates).
class noting_context final : public mstch::basic_context<std::string> {
public:
  noting_context(const mstch::data* root, std::vector<std::string>* missing)
    : inner_(root), missing_(missing) {
  }
  void push(const mstch::data* data) override {
    inner_.push(data);
  }
  void pop() override {
    inner_.pop();
  }
  const mstch::data* get(const std::string& name) const override {
    auto* found = inner_.get(name);
    if (found == nullptr && missing_ != nullptr
        && std::find(missing_->begin(), missing_->end(), name)
          == missing_->end())
      missing_->push_back(name);
    return found;
  }
  // No partials: Mustache would take a string of the job's data for one and
  // render data as a template ("{{> x}}" with x = "{{> x}}" recursed until
  // the stack overflowed). `{{> x}}` renders empty.
  const mstch::data* get_partial(const std::string&) const override {
    return nullptr;
  }

private:
  mstch::context<std::string> inner_;
  std::vector<std::string>* missing_;
};

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// HTML escaping with numeric &#39; rather than Mustache's &apos;, which
/// Telegram's HTML mode does not know (it takes &lt; &gt; &amp; &quot; and
/// numeric entities only).
std::string escape_html_text(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

caf::error invalid(std::string message, std::string_view field) {
  json::object details{{"field", field}};
  return make_error(ec::invalid_params, std::move(message),
                    json::serialize(details));
}

} // namespace

const template_record* template_set::find(std::string_view name,
                                          uint64_t version) const {
  auto i = by_name.find(std::string{name});
  if (i == by_name.end() || i->second.empty())
    return nullptr;
  if (version == 0)
    return i->second.rbegin()->second.get();
  auto j = i->second.find(version);
  return j != i->second.end() ? j->second.get() : nullptr;
}

bool valid_template_name(std::string_view name) {
  return valid_adapter_name(name);
}

caf::error check_template_parts(const json::object& parts) {
  if (parts.empty())
    return make_error(ec::invalid_field,
                      "field 'parts' must name at least one part",
                      R"({"field":"parts"})");
  for (auto& [k, v] : parts) {
    auto field = "parts." + std::string{k};
    json::object details{{"field", field}};
    if (!v.is_string())
      return make_error(ec::invalid_field,
                        "field '" + field + "' must be a string",
                        json::serialize(details));
    mstch::mustache tmpl{std::string{v.get_string()}};
    if (!tmpl.is_valid())
      return make_error(ec::invalid_field,
                        "field '" + field + "' is not a valid Mustache "
                          + "template: " + tmpl.error_message(),
                        json::serialize(details));
  }
  return {};
}

caf::expected<std::string> render_mustache(const std::string& text,
                                           const json::value& data,
                                           bool escape_html,
                                           std::vector<std::string>* missing) {
  if (escape_html)
    return render_mustache(text, data, escape_fn{escape_html_text}, missing);
  return render_mustache(text, data, escape_fn{[](const std::string& s) {
                           return s;
                         }},
                         missing);
}

caf::expected<std::string> render_mustache(const std::string& text,
                                           const json::value& data,
                                           const escape_fn& escape,
                                           std::vector<std::string>* missing) {
  mstch::mustache tmpl{text};
  if (!tmpl.is_valid())
    return make_error(ec::invalid_params,
                      "not a valid Mustache template: " + tmpl.error_message());
  tmpl.set_custom_escape(escape ? escape : escape_fn{escape_html_text});
  auto root = to_data(data);
  noting_context ctx{&root, missing};
  auto out = tmpl.render(ctx);
  if (!tmpl.is_valid())
    return make_error(ec::invalid_params,
                      "rendering failed: " + tmpl.error_message());
  return out;
}

bool part_is_html(adapter_type type, std::string_view part,
                  const json::object& params, const json::object& config) {
  if (part == "html")
    return true;
  if (type != adapter_type::telegram || part != "text")
    return false;
  auto* mode = params.if_contains("parse_mode");
  if (mode == nullptr)
    mode = config.if_contains("parse_mode");
  return mode != nullptr && mode->is_string()
    && lower(mode->get_string()) == "html";
}

bool renders_templates(adapter_type type) {
  return type == adapter_type::smtp || type == adapter_type::telegram
    || type == adapter_type::sms || type == adapter_type::mattermost;
}

bool uses_template(const json::object& params) {
  return params.contains("template");
}

caf::expected<rendered_params> render_params(const adapter_record& adapter,
                                             const template_set* templates,
                                             const json::object& params) {
  auto* name = params.if_contains("template");
  if (name == nullptr || !name->is_string())
    return invalid("params.template must be the name of a template",
                   "params.template");
  uint64_t version = 0;
  if (auto* v = params.if_contains("template_version")) {
    if (v->is_uint64())
      version = v->get_uint64();
    else if (v->is_int64() && v->get_int64() > 0)
      version = static_cast<uint64_t>(v->get_int64());
    else
      return invalid("params.template_version must be a positive integer",
                     "params.template_version");
  }
  json::value data = json::object{};
  if (auto* d = params.if_contains("data")) {
    if (!d->is_object())
      return invalid("params.data must be a JSON object", "params.data");
    data = *d;
  }
  std::string tname{name->get_string()};
  auto* tmpl = templates != nullptr ? templates->find(tname, version) : nullptr;
  if (tmpl == nullptr)
    return invalid("adapter '" + adapter.name + "' has no template '" + tname
                     + "'"
                     + (version != 0 ? " version " + std::to_string(version)
                                     : std::string{}),
                   "params.template");
  rendered_params out;
  out.version = tmpl->version;
  for (auto& [k, v] : params)
    if (k != "template" && k != "template_version" && k != "data")
      out.params[k] = v;
  std::vector<std::string> missing;
  for (auto& [part, text] : tmpl->parts) {
    auto html = part_is_html(adapter.type, part, out.params, adapter.config);
    auto res = render_mustache(std::string{text.as_string()}, data, html,
                               tmpl->strict ? &missing : nullptr);
    if (!res)
      return invalid("template '" + tname + "' part '" + std::string{part}
                       + "': " + message_of(res.error()),
                     "params.template");
    out.params[part] = std::move(*res);
  }
  if (!missing.empty()) {
    std::string list;
    json::array names;
    for (auto& m : missing) {
      list += (list.empty() ? "" : ", ") + m;
      names.emplace_back(m);
    }
    json::object details{{"field", "params.data"}, {"missing", names}};
    return make_error(ec::invalid_params,
                      "template '" + tname + "' (strict) needs data it was "
                        + "not given: " + list,
                      json::serialize(details));
  }
  return out;
}

std::string template_prefix(std::string_view adapter, std::string_view name) {
  std::string out{adapter};
  out += '\0';
  if (!name.empty()) {
    out += name;
    out += '\0';
  }
  return out;
}

std::string template_key(std::string_view adapter, std::string_view name,
                         uint64_t version) {
  auto out = template_prefix(adapter, name);
  store::keys::append_u64(out, version);
  return out;
}

std::string encode(const template_record& x) {
  json::object o{{"adapter", x.adapter}, {"name", x.name},
                 {"version", x.version}, {"parts", x.parts},
                 {"strict", x.strict},   {"created_ms", x.created_ms}};
  return json::serialize(o);
}

caf::expected<template_record> decode_template(std::string_view bytes) {
  boost::system::error_code err;
  auto v = json::parse(bytes, err, {}, stored_json_options());
  auto corrupt = [] {
    return make_error(ec::store_failure, "corrupt template record in store");
  };
  if (err || !v.is_object())
    return corrupt();
  auto& o = v.get_object();
  template_record x;
  auto* adapter = o.if_contains("adapter");
  auto* name = o.if_contains("name");
  auto* version = o.if_contains("version");
  auto* parts = o.if_contains("parts");
  if (adapter == nullptr || !adapter->is_string() || name == nullptr
      || !name->is_string() || version == nullptr || !version->is_number()
      || parts == nullptr || !parts->is_object())
    return corrupt();
  x.adapter = std::string{adapter->get_string()};
  x.name = std::string{name->get_string()};
  x.version = version->to_number<uint64_t>();
  x.parts = parts->get_object();
  if (auto* s = o.if_contains("strict"); s && s->is_bool())
    x.strict = s->get_bool();
  if (auto* c = o.if_contains("created_ms"); c && c->is_number())
    x.created_ms = c->to_number<uint64_t>();
  return x;
}

} // namespace ns
