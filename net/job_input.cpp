#include "net/job_input.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include "actors/clock.hpp"
#include "config/error.hpp"
#include "config/utf8.hpp"
#include "net/json_fields.hpp"

namespace ns::net {

namespace {

using namespace json_fields;

constexpr uint64_t max_ttl_s = 365ull * 24 * 3600;
constexpr size_t max_key_len = 255;
constexpr size_t max_url_len = 2048;

caf::expected<uint64_t> get_time(element v, std::string_view field) {
  std::string_view s;
  if (v.get_string().get(s))
    return invalid(field,
                   "field '" + std::string{field}
                     + "' must be an RFC 3339 time string");
  auto ms = clock::parse_rfc3339(s);
  if (!ms)
    return invalid(field,
                   "field '" + std::string{field}
                     + "' is not an RFC "
                       "3339 time, e.g. 2026-11-23T10:00:00.000Z");
  return *ms;
}

bool is_http_url(const boost::urls::url_view& u) {
  return (u.scheme() == "http" || u.scheme() == "https") && !u.host().empty();
}

/// A URL whose host is an IP address the policy refuses is refused here,
/// before anything is stored; names are judged when connecting (http_client),
/// on what they resolve to then.
caf::expected<std::string> get_url(element v, std::string_view field,
                                   const address_policy& policy) {
  auto url = get_string(v, field, max_url_len);
  if (!url)
    return url.error();
  auto parsed = boost::urls::parse_absolute_uri(*url);
  if (!parsed || !is_http_url(*parsed))
    return invalid(field,
                   "field '" + std::string{field}
                     + "' must be an absolute http:// or https:// URL");
  auto type = parsed->host_type();
  if (type != boost::urls::host_type::ipv4
      && type != boost::urls::host_type::ipv6)
    return url;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(parsed->host_address(), ec);
  if (auto why = ec ? std::string{} : policy.refusal(address); !why.empty())
    return invalid(field,
                   "field '" + std::string{field} + "' points to " + why + ": "
                     + std::string{address_policy::hint});
  return url;
}

/// An idempotency key is stored, echoed in GET and sent to receivers: at most
/// max_key_len bytes of printable UTF-8 (no control characters).
caf::error check_key(std::string_view key, std::string_view field) {
  if (key.size() > max_key_len || !utf8::printable(key))
    return invalid(field,
                   std::string{field} + " must be at most "
                     + std::to_string(max_key_len)
                     + " bytes of printable UTF-8 (no control characters)");
  return {};
}

/// One job object, from POST /v1/jobs or an item of a batch.
caf::expected<job_submission> read_job(const object& obj, bool batch_item,
                                       const address_policy& callbacks) {
  auto known = batch_item
    ? only_known(obj,
                 {"adapter", "params", "expire_time", "ttl_s", "scheduled_at",
                  "callback_url", "priority", "idempotency_key"})
    : only_known(obj,
                 {"adapter", "params", "expire_time", "ttl_s", "scheduled_at",
                  "callback_url", "priority"});
  if (known)
    return known;
  job_submission sub;
  element v;
  if (obj["adapter"].get(v))
    return invalid("adapter", "field 'adapter' is required");
  auto adapter = get_string(v, "adapter", 64);
  if (!adapter)
    return adapter.error();
  sub.adapter = std::move(*adapter);
  if (obj["params"].get(v))
    return invalid("params", "field 'params' is required");
  if (v.type() != element_type::OBJECT)
    return invalid("params", "field 'params' must be a JSON object");
  sub.params_text = simdjson::to_string(v);
  sub.params = json_fields::to_boost(v);
  bool has_expire = !obj["expire_time"].get(v);
  if (has_expire) {
    auto t = get_time(v, "expire_time");
    if (!t)
      return t.error();
    sub.expire_ms = *t;
  }
  if (!obj["ttl_s"].get(v)) {
    if (has_expire)
      return invalid("ttl_s", "give either expire_time or ttl_s, not both");
    auto ttl = get_uint(v, "ttl_s", 1, max_ttl_s);
    if (!ttl)
      return ttl.error();
    sub.ttl_s = *ttl;
  }
  if (!obj["scheduled_at"].get(v)) {
    auto t = get_time(v, "scheduled_at");
    if (!t)
      return t.error();
    sub.scheduled_ms = *t;
  }
  if (!obj["callback_url"].get(v)) {
    auto url = get_url(v, "callback_url", callbacks);
    if (!url)
      return url.error();
    sub.callback_url = std::move(*url);
  }
  if (!obj["priority"].get(v)) {
    auto p = get_string(v, "priority", 16);
    if (!p || !parse_priority(*p, sub.priority))
      return invalid("priority",
                     "field 'priority' must be one of high, normal, low");
  }
  if (batch_item && !obj["idempotency_key"].get(v)) {
    auto key = get_string(v, "idempotency_key", max_key_len);
    if (!key)
      return key.error();
    if (auto err = check_key(*key, "idempotency_key"))
      return err;
    sub.idempotency_key = std::move(*key);
  }
  return sub;
}

} // namespace

bool valid_callback_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  return parsed && is_http_url(*parsed);
}

caf::expected<job_submission> parse_job(std::string_view body,
                                        std::string idempotency_key,
                                        const address_policy& callbacks) {
  if (auto err = check_key(idempotency_key, "Idempotency-Key"))
    return err;
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  auto sub = read_job(*obj, false, callbacks);
  if (sub)
    sub->idempotency_key = std::move(idempotency_key);
  return sub;
}

caf::expected<std::vector<caf::expected<job_submission>>>
parse_job_batch(std::string_view body, const address_policy& callbacks) {
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  if (auto err = only_known(*obj, {"jobs"}))
    return err;
  element v;
  simdjson::dom::array items;
  if ((*obj)["jobs"].get(v) || v.get_array().get(items))
    return invalid("jobs", "field 'jobs' is required: a list of job objects");
  auto n = items.size();
  if (n == 0 || n > max_batch_jobs)
    return invalid("jobs",
                   "field 'jobs' must hold 1 to "
                     + std::to_string(max_batch_jobs) + " jobs");
  std::vector<caf::expected<job_submission>> out;
  out.reserve(n);
  for (auto item : items) {
    object job;
    if (item.get_object().get(job))
      out.emplace_back(invalid("jobs",
                               "each item of 'jobs' must be a JSON "
                               "object"));
    else
      out.emplace_back(read_job(job, true, callbacks));
  }
  return out;
}

caf::expected<notification_request>
parse_notification(std::string_view body, const address_policy& callbacks) {
  auto obj = parse_body(body);
  if (!obj)
    return obj.error();
  if (auto err = only_known(*obj, {"job_id", "callback_url"}))
    return err;
  notification_request req;
  element v;
  if ((*obj)["job_id"].get(v))
    return invalid("job_id", "field 'job_id' is required");
  auto id = get_string(v, "job_id", 128);
  if (!id)
    return id.error();
  req.job_id = std::move(*id);
  if ((*obj)["callback_url"].get(v))
    return invalid("callback_url", "field 'callback_url' is required");
  auto url = get_url(v, "callback_url", callbacks);
  if (!url)
    return url.error();
  req.callback_url = std::move(*url);
  return req;
}

} // namespace ns::net
