#include "actors/telegram_channel.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "actors/channels.hpp"
#include "config/error.hpp"

namespace json = boost::json;

namespace ns {

namespace {

const json::value* chat_id(const json::object& config,
                           const json::object& params) {
  if (auto* v = params.if_contains("chat_id"))
    return v;
  return config.if_contains("chat_id");
}

std::string hide(std::string text, const std::string& token) {
  if (token.empty())
    return text;
  constexpr std::string_view mask = "***";
  // Search on after the mask: a token the mask contains would match again.
  for (auto pos = text.find(token); pos != std::string::npos;
       pos = text.find(token, pos + mask.size()))
    text.replace(pos, token.size(), mask);
  return text;
}

} // namespace

caf::error check_telegram_params(const json::object& config,
                                 const json::object& params) {
  auto* id = chat_id(config, params);
  if (id == nullptr
      || !(id->is_int64() || (id->is_string() && !id->get_string().empty())))
    return param_error("chat_id",
                       "params.chat_id is required: a chat id "
                       "(integer) or @channelusername");
  auto* text = params.if_contains("text");
  if (text == nullptr || !text->is_string() || text->get_string().empty())
    return param_error("text", "params.text is required: a non-empty string");
  if (auto* d = params.if_contains("disable_notification"); d && !d->is_bool())
    return param_error("disable_notification",
                       "params.disable_notification must be true or false");
  if (auto* p = params.if_contains("parse_mode"); p && !p->is_string())
    return param_error("parse_mode", "params.parse_mode must be a string");
  return {};
}

caf::expected<http_call> telegram_call(const json::object& config,
                                       const json::object& params) {
  if (auto err = check_telegram_params(config, params))
    return err;
  auto base = text_of({}, config, "api_base");
  if (base.empty())
    base = telegram_api_base;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  http_call call;
  call.url = base + "/bot" + text_of({}, config, "bot_token") + "/sendMessage";
  json::object body{{"chat_id", *chat_id(config, params)},
                    {"text", params.at("text")}};
  if (auto mode = text_of(params, config, "parse_mode"); !mode.empty())
    body["parse_mode"] = mode;
  if (auto* d = params.if_contains("disable_notification"))
    body["disable_notification"] = *d;
  call.body = json::serialize(body);
  call.read_timeout = call_timeout(config, std::chrono::seconds(15));
  return call;
}

attempt_result telegram_outcome(const http_outcome& out,
                                const json::object& config) {
  auto token = text_of({}, config, "bot_token");
  if (out.status == 0) {
    auto res = transport_failure(out);
    res.message = hide(res.message, token);
    return res;
  }
  boost::system::error_code err;
  auto doc = json::parse(out.body, err);
  const json::object* obj
    = !err && doc.is_object() ? &doc.get_object() : nullptr;
  std::string description;
  if (obj != nullptr)
    if (auto* d = obj->if_contains("description"); d && d->is_string())
      description = std::string{d->get_string()};
  if (description.empty())
    description = excerpt(out.body);
  auto what = "telegram " + std::to_string(out.status) + ": "
    + hide(description, token);
  if (out.status >= 200 && out.status < 300) {
    auto* ok = obj != nullptr ? obj->if_contains("ok") : nullptr;
    if (ok != nullptr && ok->is_bool() && ok->get_bool())
      return succeeded();
    return failed(what);
  }
  auto res = status_failure(out, std::move(what));
  // Telegram names the wait in its answer (parameters.retry_after, seconds).
  if (res.retryable && obj != nullptr)
    if (auto* p = obj->if_contains("parameters"); p && p->is_object())
      if (auto* ra = p->get_object().if_contains("retry_after");
          ra != nullptr && whole_number(*ra))
        res.retry_after_ms
          = std::min<uint64_t>(*whole_number(*ra), 24 * 3600) * 1000;
  return res;
}

} // namespace ns
