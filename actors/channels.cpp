#include "actors/channels.hpp"

#include <charconv>
#include <ctime>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "actors/clock.hpp"
#include "actors/mattermost_channel.hpp"
#include "actors/sms_channel.hpp"
#include "actors/smtp_channel.hpp"
#include "actors/telegram_channel.hpp"
#include "actors/templates.hpp"
#include "actors/webhook_channel.hpp"
#include "config/error.hpp"
#include "config/json_limits.hpp"
#include "config/utf8.hpp"

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

/// A channel that sends params: renders the job's template first.
send_fn with_params(deliver_fn deliver) {
  return [deliver](const adapter_entry& entry, const job_record& job,
                   std::function<void(attempt_result)> done) {
    auto params = delivery_params(entry, job);
    if (!params)
      return done(failed(message_of(params.error())));
    deliver(entry.rec, *params, job, std::move(done));
  };
}

} // namespace

caf::expected<json::object> delivery_params(const adapter_entry& entry,
                                            const job_record& job) {
  boost::system::error_code err;
  auto doc = json::parse(job.params, err, {}, stored_json_options());
  if (err || !doc.is_object())
    return make_error(ec::invalid_params, "params are not a JSON object");
  auto& params = doc.get_object();
  if (!uses_template(params))
    return std::move(params);
  auto rendered = render_params(entry.rec, entry.templates.get(), params);
  if (!rendered)
    return rendered.error();
  return std::move(rendered->params);
}

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

send_fn channel_sender(adapter_type type, const job_context& ctx) {
  switch (type) {
    case adapter_type::webhook: return webhook_sender(ctx.http);
    case adapter_type::smtp: return with_params(smtp_sender(ctx.smtp));
    case adapter_type::telegram:
      return with_params(
        http_sender(ctx.http, telegram_call,
                    [](const http_outcome& out, const json::object& cfg) {
                      return telegram_outcome(out, cfg);
                    }));
    case adapter_type::sms:
      return with_params(
        http_sender(ctx.http, sms_call,
                    [](const http_outcome& out, const json::object& cfg) {
                      return sms_outcome(out, cfg);
                    }));
    case adapter_type::mattermost:
      return with_params(
        http_sender(ctx.http, mattermost_call,
                    [](const http_outcome& out, const json::object&) {
                      return mattermost_outcome(out);
                    }));
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

attempt_result succeeded() {
  attempt_result res;
  res.outcome = attempt_result::kind::succeeded;
  return res;
}

attempt_result status_failure(const http_outcome& out, std::string message) {
  if (out.status != 408 && out.status != 429 && out.status < 500)
    return failed(std::move(message));
  attempt_result res;
  res.outcome = attempt_result::kind::failed;
  res.retryable = true;
  res.message = std::move(message);
  res.retry_after_ms = retry_after_ms(out.retry_after);
  return res;
}

uint64_t retry_after_ms(const std::string& header) {
  if (header.empty())
    return 0;
  uint64_t secs = 0;
  auto [ptr, err]
    = std::from_chars(header.data(), header.data() + header.size(), secs);
  if (err == std::errc{} && ptr == header.data() + header.size())
    return std::min<uint64_t>(secs, 24 * 3600) * 1000;
  // An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  if (strptime(header.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr)
    return 0;
  auto at = static_cast<uint64_t>(timegm(&tm)) * 1000;
  auto now = clock::now_ms();
  return at > now ? std::min<uint64_t>(at - now, 24ull * 3600 * 1000) : 0;
}

std::optional<uint64_t> whole_number(const json::value& v) {
  json::error_code ec;
  auto n = v.to_number<uint64_t>(ec);
  if (ec)
    return std::nullopt;
  return n;
}

std::chrono::milliseconds call_timeout(const json::object& config,
                                       std::chrono::milliseconds fallback) {
  if (auto* t = config.if_contains("timeout_ms");
      t && t->is_int64() && t->get_int64() > 0)
    return std::chrono::milliseconds(t->get_int64());
  return fallback;
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
  // A receiver's body is any bytes: made UTF-8, then cut on a character
  // boundary. The 3 bytes more keep a character that the limit splits whole
  // until the cut, which then drops it rather than leave U+FFFD.
  constexpr size_t max_bytes = 200;
  auto clean = utf8::sanitize(body.substr(0, max_bytes + 3));
  std::string out{utf8::cut(clean, max_bytes)};
  for (auto& c : out)
    if (c == '\r' || c == '\n')
      c = ' ';
  return out;
}

} // namespace ns
