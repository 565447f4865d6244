#include "net/adapter_sdk/protocol.hpp"

#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ns::adapter_protocol {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 9> type_names{
  "hello",  "welcome", "refuse",    "job", "result",
  "credit", "cancel",  "heartbeat", "bye"};

constexpr std::array<std::string_view, 4> outcome_names{"succeeded", "failed",
                                                        "canceled", "expired"};

/// Field readers: false (and `why`) when present with the wrong type, or
/// missing while required.
class reader {
public:
  reader(std::string_view body, std::string& why) : why_(why) {
    why_.clear();
    json::error_code ec;
    val_ = json::parse(body, ec);
    if (ec) {
      why_ = "body is not JSON: " + ec.message();
      return;
    }
    obj_ = val_.if_object();
    if (obj_ == nullptr)
      why_ = "body is not a JSON object";
  }

  bool ok() const {
    return obj_ != nullptr && why_.empty();
  }

  bool str(const char* key, std::string& out, bool required = true) {
    if (!ok())
      return false;
    auto* v = obj_->if_contains(key);
    if (v == nullptr)
      return !required || fail(key, "is missing");
    if (!v->is_string())
      return fail(key, "must be a string");
    out = std::string{v->get_string()};
    return true;
  }

  template <class T>
  bool num(const char* key, T& out, uint64_t max, bool required = true) {
    if (!ok())
      return false;
    auto* v = obj_->if_contains(key);
    if (v == nullptr)
      return !required || fail(key, "is missing");
    uint64_t n = 0;
    if (v->is_uint64())
      n = v->get_uint64();
    else if (v->is_int64() && v->get_int64() >= 0)
      n = static_cast<uint64_t>(v->get_int64());
    else
      return fail(key, "must be a whole number >= 0");
    if (n > max)
      return fail(key, "must be at most " + std::to_string(max));
    out = static_cast<T>(n);
    return true;
  }

  bool boolean(const char* key, bool& out) {
    if (!ok())
      return false;
    auto* v = obj_->if_contains(key);
    if (v == nullptr)
      return true;
    if (!v->is_bool())
      return fail(key, "must be true or false");
    out = v->get_bool();
    return true;
  }

  json::value* get(const char* key) {
    return ok() ? obj_->if_contains(key) : nullptr;
  }

  bool fail(const char* key, const std::string& what) {
    why_ = std::string{"field '"} + key + "' " + what;
    return false;
  }

private:
  std::string& why_;
  json::value val_;
  json::object* obj_ = nullptr;
};

/// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence: what is
/// cut goes on into logs, the store and JSON answers.
void cut_utf8(std::string& s, size_t n) {
  if (s.size() <= n)
    return;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80)
    --n;
  s.resize(n);
}

constexpr uint64_t max_u32 = 0xffffffffu;
constexpr uint64_t max_i53 = (1ull << 53) - 1; // exact in every JSON reader

} // namespace

std::string_view to_string(msg_type x) {
  return type_names[static_cast<size_t>(x)];
}

std::optional<msg_type> parse_type(std::string_view text) {
  for (size_t i = 0; i < type_names.size(); ++i)
    if (type_names[i] == text)
      return static_cast<msg_type>(i);
  return std::nullopt;
}

std::string_view to_string(outcome x) {
  return outcome_names[static_cast<size_t>(x)];
}

std::string encode(const hello& x) {
  return json::serialize(json::object{{"protocol", x.protocol},
                                      {"key", x.key},
                                      {"credit", x.credit},
                                      {"name", x.name}});
}

std::string encode(const welcome& x) {
  return json::serialize(json::object{{"protocol", version},
                                      {"instance_id", x.instance_id},
                                      {"adapter", x.adapter},
                                      {"heartbeat_ms", x.heartbeat_ms},
                                      {"timeout_ms", x.timeout_ms}});
}

std::string encode(const refusal& x) {
  return json::serialize(
    json::object{{"code", x.code}, {"message", x.message}});
}

std::string encode(const job& x) {
  return json::serialize(json::object{{"job_id", x.job_id},
                                      {"idempotency_key", x.idempotency_key},
                                      {"attempt", x.attempt},
                                      {"priority", x.priority},
                                      {"create_time", x.create_time},
                                      {"expire_time", x.expire_time},
                                      {"expire_at_ms", x.expire_at_ms},
                                      {"params", x.params}});
}

std::string encode(const job& x, std::string_view params_json) {
  auto text = encode(x);
  // encode() writes params last, as null.
  constexpr std::string_view tail = "\"params\":null}";
  text.resize(text.size() - tail.size());
  text += "\"params\":";
  text += params_json.empty() ? std::string_view{"{}"} : params_json;
  text += '}';
  return text;
}

std::string encode(const result& x) {
  json::object o{{"job_id", x.job_id}, {"outcome", to_string(x.what)}};
  if (x.what == outcome::failed)
    o["retryable"] = x.retryable;
  if (!x.message.empty())
    o["message"] = x.message;
  if (x.retry_after_ms != 0)
    o["retry_after_ms"] = x.retry_after_ms;
  if (x.credit != 0)
    o["credit"] = x.credit;
  return json::serialize(o);
}

std::string encode(const credit& x) {
  return json::serialize(json::object{{"credit", x.credit}});
}

std::string encode(const cancel& x) {
  return json::serialize(json::object{{"job_id", x.job_id}});
}

std::optional<hello> decode_hello(std::string_view body, std::string& why) {
  reader r{body, why};
  hello x;
  x.protocol = -1;
  auto* p = r.get("protocol");
  if (r.ok() && (p == nullptr || !p->is_int64()))
    r.fail("protocol", "must be a whole number");
  else if (p != nullptr)
    x.protocol = p->get_int64();
  if (r.str("key", x.key) && r.num("credit", x.credit, max_credit)
      && r.str("name", x.name, false)) {
    cut_utf8(x.name, 200);
    // It goes into log lines: no control characters.
    for (auto& c : x.name)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        c = '?';
    return x;
  }
  return std::nullopt;
}

std::optional<welcome> decode_welcome(std::string_view body, std::string& why) {
  reader r{body, why};
  welcome x;
  if (r.str("instance_id", x.instance_id) && r.str("adapter", x.adapter)
      && r.num("heartbeat_ms", x.heartbeat_ms, max_i53)
      && r.num("timeout_ms", x.timeout_ms, max_i53))
    return x;
  return std::nullopt;
}

std::optional<refusal> decode_refusal(std::string_view body, std::string& why) {
  reader r{body, why};
  refusal x;
  if (r.str("code", x.code) && r.str("message", x.message, false))
    return x;
  return std::nullopt;
}

std::optional<job> decode_job(std::string_view body, std::string& why) {
  reader r{body, why};
  job x;
  if (!(r.str("job_id", x.job_id) && !x.job_id.empty()
        && r.str("idempotency_key", x.idempotency_key, false)
        && r.num("attempt", x.attempt, max_u32)
        && r.str("priority", x.priority, false)
        && r.str("create_time", x.create_time, false)
        && r.str("expire_time", x.expire_time, false)
        && r.num("expire_at_ms", x.expire_at_ms, max_i53)))
    return std::nullopt;
  if (auto* p = r.get("params"))
    x.params = *p;
  return x;
}

std::optional<result> decode_result(std::string_view body, std::string& why) {
  reader r{body, why};
  result x;
  std::string what;
  if (!(r.str("job_id", x.job_id) && r.str("outcome", what)
        && r.boolean("retryable", x.retryable)
        && r.str("message", x.message, false)
        && r.num("retry_after_ms", x.retry_after_ms, 24ull * 3600 * 1000, false)
        && r.num("credit", x.credit, max_credit, false)))
    return std::nullopt;
  if (x.job_id.empty()) {
    r.fail("job_id", "must not be empty");
    return std::nullopt;
  }
  for (size_t i = 0; i < outcome_names.size(); ++i)
    if (outcome_names[i] == what) {
      x.what = static_cast<outcome>(i);
      cut_utf8(x.message, 2000);
      return x;
    }
  r.fail("outcome", "must be succeeded, failed, canceled or expired");
  return std::nullopt;
}

std::optional<credit> decode_credit(std::string_view body, std::string& why) {
  reader r{body, why};
  credit x;
  if (r.num("credit", x.credit, max_credit))
    return x;
  return std::nullopt;
}

std::optional<cancel> decode_cancel(std::string_view body, std::string& why) {
  reader r{body, why};
  cancel x;
  if (r.str("job_id", x.job_id))
    return x;
  return std::nullopt;
}

bool decode_empty(std::string_view body, std::string& why) {
  reader r{body, why};
  return r.ok();
}

} // namespace ns::adapter_protocol
