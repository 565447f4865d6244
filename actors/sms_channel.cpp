#include "actors/sms_channel.hpp"

#include <cstdio>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "actors/channels.hpp"
#include "actors/templates.hpp"
#include "config/error.hpp"

namespace json = boost::json;

namespace ns {

namespace {

std::string json_escape(const std::string& s) {
  auto quoted = json::serialize(json::string{s});
  return quoted.substr(1, quoted.size() - 2);
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i])
      return false;
  return true;
}

/// The value at a dotted path ("result.status") of a JSON document.
const json::value* at_path(const json::value& doc, std::string_view path) {
  const json::value* cur = &doc;
  while (!path.empty()) {
    auto dot = path.find('.');
    auto key = path.substr(0, dot);
    if (!cur->is_object())
      return nullptr;
    cur = cur->get_object().if_contains(key);
    if (cur == nullptr)
      return nullptr;
    path = dot == std::string_view::npos ? std::string_view{}
                                         : path.substr(dot + 1);
  }
  return cur;
}

std::string scalar_text(const json::value& v) {
  return v.is_string() ? std::string{v.get_string()} : json::serialize(v);
}

} // namespace

bool is_e164(std::string_view phone) {
  if (phone.size() < 3 || phone.size() > 16 || phone[0] != '+' || phone[1] < '1'
      || phone[1] > '9')
    return false;
  for (size_t i = 2; i < phone.size(); ++i)
    if (phone[i] < '0' || phone[i] > '9')
      return false;
  return true;
}

caf::error check_sms_params(const json::object& params) {
  auto* to = params.if_contains("to");
  if (to == nullptr || !to->is_string() || !is_e164(to->get_string()))
    return param_error("to",
                       "params.to must be a phone number in E.164 "
                       "form, e.g. +4915112345678");
  auto* text = params.if_contains("text");
  if (text == nullptr || !text->is_string() || text->get_string().empty())
    return param_error("text", "params.text is required: a non-empty string");
  return {};
}

caf::expected<http_call> sms_call(const json::object& config,
                                  const json::object& params) {
  if (auto err = check_sms_params(params))
    return err;
  http_call call;
  call.url = text_of({}, config, "url");
  call.method = text_of({}, config, "method");
  if (call.method.empty())
    call.method = "POST";
  auto type = text_of({}, config, "content_type");
  call.content_type = type.empty() ? "application/json" : type;
  escape_fn escape = [](const std::string& s) {
    return s;
  };
  if (call.method == "GET"
      || starts_with_ci(call.content_type, "application/x-www-form-urlencoded"))
    escape = url_encode;
  else if (starts_with_ci(call.content_type, "application/json"))
    escape = json_escape;
  auto tmpl = text_of({}, config, "body_template");
  if (tmpl.empty())
    tmpl = sms_default_body;
  json::object data{{"to", params.at("to")}, {"text", params.at("text")}};
  auto body = render_mustache(tmpl, data, escape);
  if (!body)
    return body.error();
  if (call.method == "GET")
    call.url += (call.url.find('?') == std::string::npos ? "?" : "&") + *body;
  else
    call.body = std::move(*body);
  if (auto* hs = config.if_contains("headers"); hs && hs->is_object())
    for (auto& [k, v] : hs->get_object())
      if (v.is_string())
        call.headers.emplace_back(std::string{k}, std::string{v.get_string()});
  call.read_timeout = call_timeout(config, std::chrono::seconds(15));
  return call;
}

attempt_result sms_outcome(const http_outcome& out,
                           const json::object& config) {
  if (out.status == 0)
    return transport_failure(out);
  auto what
    = "sms gateway " + std::to_string(out.status) + ": " + excerpt(out.body);
  bool status_ok = out.status >= 200 && out.status < 300;
  if (auto* list = config.if_contains("success_status");
      list && list->is_array()) {
    status_ok = false;
    for (auto& s : list->get_array())
      if (whole_number(s) == out.status)
        status_ok = true;
  }
  if (status_ok) {
    auto field = text_of({}, config, "success_field");
    if (!field.empty()) {
      boost::system::error_code err;
      auto doc = json::parse(out.body, err);
      auto* v = err ? nullptr : at_path(doc, field);
      auto* want = config.if_contains("success_value");
      bool ok = v != nullptr
        && (want == nullptr ? !(v->is_bool() && !v->get_bool()) && !v->is_null()
                            : scalar_text(*v) == scalar_text(*want));
      if (!ok)
        return failed(what + " (" + field + " does not report success)");
    }
    return succeeded();
  }
  return status_failure(out, std::move(what));
}

} // namespace ns
