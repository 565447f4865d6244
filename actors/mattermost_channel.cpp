#include "actors/mattermost_channel.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "actors/channels.hpp"

namespace json = boost::json;

namespace ns {

namespace {

constexpr std::string_view optional_strings[]
  = {"channel", "username", "icon_url", "icon_emoji"};

} // namespace

caf::error check_mattermost_params(const json::object& params) {
  auto* text = params.if_contains("text");
  auto* att = params.if_contains("attachments");
  if (text != nullptr && !text->is_string())
    return param_error("text", "params.text must be a string");
  if (att != nullptr && !att->is_array())
    return param_error("attachments",
                       "params.attachments must be a list of attachments");
  auto has_text = text != nullptr && !text->get_string().empty();
  auto has_att = att != nullptr && !att->get_array().empty();
  if (!has_text && !has_att)
    return param_error("text",
                       "params.text (or params.attachments) is "
                       "required");
  for (auto key : optional_strings)
    if (auto* v = params.if_contains(key); v && !v->is_string())
      return param_error(key,
                         "params." + std::string{key} + " must be a string");
  return {};
}

caf::expected<http_call> mattermost_call(const json::object& config,
                                         const json::object& params) {
  if (auto err = check_mattermost_params(params))
    return err;
  json::object body;
  if (auto* t = params.if_contains("text"))
    body["text"] = *t;
  if (auto* a = params.if_contains("attachments"))
    body["attachments"] = *a;
  for (auto key : optional_strings)
    if (auto v = text_of(params, config, key); !v.empty())
      body[key] = v;
  http_call call;
  call.url = text_of({}, config, "url");
  call.body = json::serialize(body);
  call.read_timeout = call_timeout(config, std::chrono::seconds(15));
  return call;
}

attempt_result mattermost_outcome(const http_outcome& out) {
  if (out.status == 0)
    return transport_failure(out);
  if (out.status >= 200 && out.status < 300)
    return succeeded();
  // Mattermost answers errors as {"id", "message", "status_code", ...}.
  std::string message;
  boost::system::error_code err;
  auto doc = json::parse(out.body, err);
  if (!err && doc.is_object())
    if (auto* m = doc.get_object().if_contains("message"); m && m->is_string())
      message = std::string{m->get_string()};
  if (message.empty())
    message = excerpt(out.body);
  auto what = "mattermost " + std::to_string(out.status) + ": " + message;
  return status_failure(out, std::move(what));
}

} // namespace ns
