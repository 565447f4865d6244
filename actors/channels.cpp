#include "actors/channels.hpp"

#include <boost/json/serialize.hpp>

#include "actors/mattermost_channel.hpp"
#include "actors/sms_channel.hpp"
#include "actors/smtp_channel.hpp"
#include "actors/telegram_channel.hpp"
#include "config/error.hpp"

namespace json = boost::json;

namespace ns {

namespace {

/// An HTTP channel: build the call, send it, map the answer.
template <class Build, class Map>
deliver_fn http_sender(outbound_http* http, Build build, Map map) {
  return [http, build, map](const adapter_record& a, const json::object& params,
                            const job_record&,
                            std::function<void(attempt_result)> done) {
    auto call = build(a.config, params);
    if (!call)
      return done(failed(message_of(call.error())));
    http->send(std::move(*call), [map, cfg = a.config, done](http_outcome out) {
      done(map(out, cfg));
    });
  };
}

} // namespace

caf::error check_channel_params(const adapter_record& adapter,
                                const json::object& params) {
  switch (adapter.type) {
    case adapter_type::smtp: return check_smtp_params(params);
    case adapter_type::telegram:
      return check_telegram_params(adapter.config, params);
    case adapter_type::sms: return check_sms_params(params);
    case adapter_type::mattermost: return check_mattermost_params(params);
    default: return {};
  }
}

deliver_fn channel_sender(adapter_type type, const job_context& ctx) {
  switch (type) {
    case adapter_type::smtp: return smtp_sender(ctx.smtp);
    case adapter_type::telegram:
      return http_sender(ctx.http, telegram_call,
                         [](const http_outcome& out, const json::object& cfg) {
                           return telegram_outcome(out, cfg);
                         });
    case adapter_type::sms:
      return http_sender(ctx.http, sms_call,
                         [](const http_outcome& out, const json::object& cfg) {
                           return sms_outcome(out, cfg);
                         });
    case adapter_type::mattermost:
      return http_sender(ctx.http, mattermost_call,
                         [](const http_outcome& out, const json::object&) {
                           return mattermost_outcome(out);
                         });
    default: return {};
  }
}

uint32_t channel_concurrency(const adapter_record& adapter) {
  auto n = adapter.concurrency;
  if (adapter.type == adapter_type::smtp) {
    uint32_t pool = 4;
    if (auto* p = adapter.config.if_contains("pool_size"); p && p->is_int64())
      pool = static_cast<uint32_t>(p->get_int64());
    n = std::min(n, pool);
  }
  return std::max<uint32_t>(n, 1);
}

double channel_rate_limit(const adapter_record& adapter) {
  auto* r = adapter.config.if_contains("rate_limit");
  return r != nullptr && r->is_number() ? r->to_number<double>() : 0.0;
}

attempt_result failed(std::string message) {
  attempt_result res;
  res.outcome = attempt_result::kind::failed;
  res.retryable = false;
  res.message = std::move(message);
  return res;
}

caf::error param_error(std::string_view field, std::string message) {
  json::object details{{"field", "params." + std::string{field}}};
  return make_error(ec::invalid_params, std::move(message),
                    json::serialize(details));
}

std::string text_of(const json::object& params, const json::object& config,
                    std::string_view key) {
  if (auto* v = params.if_contains(key); v && v->is_string())
    return std::string{v->get_string()};
  if (auto* v = config.if_contains(key); v && v->is_string())
    return std::string{v->get_string()};
  return {};
}

attempt_result transport_failure(const http_outcome& out) {
  attempt_result res;
  res.outcome = out.not_sent ? attempt_result::kind::not_sent
                             : attempt_result::kind::failed;
  res.retryable = !out.permanent;
  res.message = out.error;
  return res;
}

std::string excerpt(std::string_view body) {
  std::string out{body.substr(0, 200)};
  for (auto& c : out)
    if (c == '\r' || c == '\n')
      c = ' ';
  return out;
}

} // namespace ns
