#include "actors/model.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "config/error.hpp"
#include "config/json_limits.hpp"

namespace json = boost::json;

namespace ns {

namespace {

constexpr std::array<std::pair<adapter_type, std::string_view>, 6> type_names{{
  {adapter_type::webhook, "webhook"},
  {adapter_type::smtp, "smtp"},
  {adapter_type::telegram, "telegram"},
  {adapter_type::sms, "sms"},
  {adapter_type::mattermost, "mattermost"},
  {adapter_type::external, "external"},
}};

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A key names a secret when one of its words does: "bot_token", "apiKey",
// "X-Auth-Token", "smtp.password", "password2" yes; "monkey", "author" no.
bool secret_name(std::string_view key) {
  static constexpr std::string_view words[]
    = {"password",   "passwd",      "pass",   "pwd",       "secret",
       "token",      "key",         "apikey", "auth",      "authorization",
       "credential", "credentials", "bearer", "signature", "cookie",
       "passwords",  "secrets",     "tokens", "keys",      "apikeys",
       "passphrase", "pin"};
  std::vector<std::string> parts;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty())
      parts.push_back(lower(cur));
    cur.clear();
  };
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      flush();
      continue;
    }
    // camelCase boundary: "apiKey" -> "api", "Key"
    if (std::isupper(static_cast<unsigned char>(c)) && i > 0
        && std::islower(static_cast<unsigned char>(key[i - 1])))
      flush();
    cur += c;
  }
  flush();
  for (auto& part : parts) {
    // A numbered secret is still one: "password2", "key_1" (its own word).
    std::string_view word{part};
    while (!word.empty()
           && std::isdigit(static_cast<unsigned char>(word.back())))
      word.remove_suffix(1);
    for (auto w : words)
      if (word == w)
        return true;
  }
  return false;
}

json::value mask_value(const json::value& v) {
  if (v.is_object())
    return mask_secrets(v.get_object());
  if (v.is_array()) {
    json::array out;
    for (auto& x : v.get_array())
      out.push_back(mask_value(x));
    return out;
  }
  return v;
}

caf::error config_error(std::string message, std::string_view field) {
  return make_error(ec::invalid_field, std::move(message),
                    R"({"field":"config.)" + std::string{field} + "\"}");
}

caf::error require_string(const json::object& cfg, std::string_view field) {
  auto* v = cfg.if_contains(field);
  if (v == nullptr || !v->is_string() || v->get_string().empty())
    return config_error("config." + std::string{field}
                          + " is required and must be a non-empty string",
                        field);
  return {};
}

caf::error require_http_url(const json::object& cfg, std::string_view field) {
  if (auto err = require_string(cfg, field))
    return err;
  auto text = cfg.at(field).get_string();
  auto url = boost::urls::parse_absolute_uri(
    std::string_view{text.data(), text.size()});
  if (!url || (url->scheme() != "http" && url->scheme() != "https")
      || url->host().empty())
    return config_error("config." + std::string{field}
                          + " must be an absolute http:// or https:// URL",
                        field);
  return {};
}

caf::error check_one_of(const json::object& cfg, std::string_view field,
                        std::initializer_list<std::string_view> allowed) {
  auto* v = cfg.if_contains(field);
  if (v == nullptr)
    return {};
  std::string list;
  for (auto a : allowed) {
    if (v->is_string() && v->get_string() == a)
      return {};
    list += (list.empty() ? "" : ", ") + std::string{a};
  }
  return config_error(
    "config." + std::string{field} + " must be one of: " + list, field);
}

caf::error check_smtp_config(const json::object& cfg) {
  if (auto err = check_one_of(cfg, "tls", {"none", "starttls", "implicit"}))
    return err;
  if (auto* p = cfg.if_contains("port");
      p && (!p->is_int64() || p->get_int64() < 1 || p->get_int64() > 65535))
    return config_error("config.port must be an integer in 1..65535", "port");
  if (auto* p = cfg.if_contains("pool_size");
      p && (!p->is_int64() || p->get_int64() < 1 || p->get_int64() > 256))
    return config_error("config.pool_size must be an integer in 1..256",
                        "pool_size");
  if (auto* v = cfg.if_contains("tls_verify"); v && !v->is_bool())
    return config_error("config.tls_verify must be true or false",
                        "tls_verify");
  return {};
}

caf::error check_sms_config(const json::object& cfg) {
  if (auto err = check_one_of(cfg, "method", {"POST", "PUT", "GET"}))
    return err;
  if (auto* b = cfg.if_contains("body_template"); b && !b->is_string())
    return config_error("config.body_template must be a string",
                        "body_template");
  if (auto* h = cfg.if_contains("headers"); h && !h->is_object())
    return config_error("config.headers must be an object", "headers");
  if (auto* s = cfg.if_contains("success_status"); s && !s->is_array())
    return config_error("config.success_status must be a list of statuses",
                        "success_status");
  if (auto* f = cfg.if_contains("success_field"); f && !f->is_string())
    return config_error("config.success_field must be a string",
                        "success_field");
  return {};
}

// JSON field access for decoding stored records; a missing or mistyped field
// means the record is corrupt.
struct reader {
  const json::object& obj;
  bool ok = true;

  std::string str(std::string_view k) {
    auto* v = obj.if_contains(k);
    if (v == nullptr || !v->is_string()) {
      ok = false;
      return {};
    }
    return std::string{v->get_string()};
  }
  std::string opt_str(std::string_view k) {
    auto* v = obj.if_contains(k);
    return v != nullptr && v->is_string() ? std::string{v->get_string()}
                                          : std::string{};
  }
  uint64_t u64(std::string_view k) {
    auto* v = obj.if_contains(k);
    if (v == nullptr) {
      ok = false;
      return 0;
    }
    if (v->is_uint64())
      return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0)
      return static_cast<uint64_t>(v->get_int64());
    ok = false;
    return 0;
  }
  bool boolean(std::string_view k) {
    auto* v = obj.if_contains(k);
    if (v == nullptr || !v->is_bool()) {
      ok = false;
      return false;
    }
    return v->get_bool();
  }
};

caf::expected<json::object> parse_object(std::string_view bytes,
                                         const char* what) {
  boost::system::error_code err;
  auto v = json::parse(bytes, err, {}, stored_json_options());
  if (err || !v.is_object())
    return make_error(ec::store_failure,
                      std::string{"corrupt "} + what + " record in store");
  return std::move(v.get_object());
}

} // namespace

bool adapter_selection::allows(std::string_view adapter) const {
  return all || std::find(names.begin(), names.end(), adapter) != names.end();
}

std::string_view to_string(adapter_type x) {
  for (auto& [t, n] : type_names)
    if (t == x)
      return n;
  return "webhook";
}

bool parse_adapter_type(std::string_view text, adapter_type& out) {
  for (auto& [t, n] : type_names)
    if (n == text) {
      out = t;
      return true;
    }
  return false;
}

std::string adapter_type_list() {
  std::string out;
  for (auto& [t, n] : type_names) {
    if (!out.empty())
      out += ", ";
    out += n;
  }
  return out;
}

caf::error validate_adapter_config(adapter_type type,
                                   const json::object& config) {
  if (auto* r = config.if_contains("rate_limit");
      r && (!r->is_number() || r->to_number<double>() <= 0))
    return config_error("config.rate_limit must be a positive number "
                        "(messages per second)",
                        "rate_limit");
  switch (type) {
    case adapter_type::webhook:
    case adapter_type::mattermost: return require_http_url(config, "url");
    case adapter_type::sms:
      if (auto err = require_http_url(config, "url"))
        return err;
      return check_sms_config(config);
    case adapter_type::smtp:
      if (auto err = require_string(config, "host"))
        return err;
      if (auto err = require_string(config, "from"))
        return err;
      return check_smtp_config(config);
    case adapter_type::telegram:
      if (auto err = require_string(config, "bot_token"))
        return err;
      if (config.contains("api_base"))
        return require_http_url(config, "api_base");
      return {};
    case adapter_type::external: return {};
  }
  return {};
}

retry_policy merge(retry_policy base, const retry_patch& patch) {
  if (patch.max_attempts)
    base.max_attempts = *patch.max_attempts;
  if (patch.initial_backoff_ms)
    base.initial_backoff_ms = *patch.initial_backoff_ms;
  if (patch.max_backoff_ms)
    base.max_backoff_ms = *patch.max_backoff_ms;
  return base;
}

caf::error validate_retry(const retry_policy& x) {
  if (x.initial_backoff_ms > x.max_backoff_ms)
    return make_error(ec::invalid_field,
                      "retry.initial_backoff_ms ("
                        + std::to_string(x.initial_backoff_ms)
                        + ") must not exceed retry.max_backoff_ms ("
                        + std::to_string(x.max_backoff_ms) + ")",
                      R"({"field":"retry"})");
  return {};
}

bool valid_adapter_name(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front()))
    return false;
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return alnum(c) || c == '_' || c == '.' || c == '-';
  });
}

json::object mask_secrets(const json::object& config) {
  json::object out;
  for (auto& [k, v] : config) {
    // Whatever sits under a secret's name is hidden whole, lists and objects
    // included: {"auth": {"user": "u", "pass": "p"}} shows no part of it.
    if (secret_name(k) && !v.is_null())
      out[k] = "***";
    else
      out[k] = mask_value(v);
  }
  return out;
}

// -- storage encoding
// ------------------------------------------------------------

std::string encode(const client_record& x) {
  json::object o;
  o["id"] = x.id;
  o["name"] = x.name;
  if (x.adapters.all) {
    o["adapters"] = "*";
  } else {
    json::array names;
    for (auto& n : x.adapters.names)
      names.push_back(json::string{n});
    o["adapters"] = std::move(names);
  }
  if (x.limit)
    o["rate_limit"]
      = json::object{{"rps", x.limit->rps}, {"burst", x.limit->burst}};
  o["blocked"] = x.blocked;
  o["created_ms"] = x.created_ms;
  o["updated_ms"] = x.updated_ms;
  o["key_hash"] = x.key_hash;
  o["signing_secret"] = x.signing_secret;
  return json::serialize(o);
}

caf::expected<client_record> decode_client(std::string_view bytes) {
  auto obj = parse_object(bytes, "client");
  if (!obj)
    return obj.error();
  reader r{*obj};
  client_record x;
  x.id = r.str("id");
  x.name = r.str("name");
  if (auto* a = obj->if_contains("adapters")) {
    if (a->is_string())
      x.adapters.all = true;
    else if (a->is_array())
      for (auto& n : a->get_array())
        if (n.is_string())
          x.adapters.names.emplace_back(n.get_string());
  }
  if (auto* rl = obj->if_contains("rate_limit"); rl && rl->is_object()) {
    reader lr{rl->get_object()};
    x.limit = rate_limit{lr.u64("rps"), lr.u64("burst")};
    r.ok = r.ok && lr.ok;
  }
  x.blocked = r.boolean("blocked");
  x.created_ms = r.u64("created_ms");
  x.updated_ms = r.u64("updated_ms");
  x.key_hash = r.str("key_hash");
  x.signing_secret = r.str("signing_secret");
  if (!r.ok)
    return make_error(ec::store_failure, "corrupt client record in store");
  return x;
}

std::string encode(const adapter_record& x) {
  json::object o;
  o["name"] = x.name;
  o["type"] = to_string(x.type);
  o["config"] = x.config;
  o["params_schema"] = x.params_schema;
  o["retry"] = json::object{{"max_attempts", x.retry.max_attempts},
                            {"initial_backoff_ms", x.retry.initial_backoff_ms},
                            {"max_backoff_ms", x.retry.max_backoff_ms}};
  o["default_ttl_s"] = x.default_ttl_s;
  o["concurrency"] = x.concurrency;
  o["blocked"] = x.blocked;
  o["created_ms"] = x.created_ms;
  o["updated_ms"] = x.updated_ms;
  o["version"] = x.version;
  o["key_hash"] = x.key_hash;
  return json::serialize(o);
}

caf::expected<adapter_record> decode_adapter(std::string_view bytes) {
  auto obj = parse_object(bytes, "adapter");
  if (!obj)
    return obj.error();
  reader r{*obj};
  adapter_record x;
  x.name = r.str("name");
  if (!parse_adapter_type(r.str("type"), x.type))
    r.ok = false;
  if (auto* c = obj->if_contains("config"); c && c->is_object())
    x.config = c->get_object();
  if (auto* s = obj->if_contains("params_schema"))
    x.params_schema = *s;
  if (auto* rp = obj->if_contains("retry"); rp && rp->is_object()) {
    reader rr{rp->get_object()};
    x.retry.max_attempts = static_cast<uint32_t>(rr.u64("max_attempts"));
    x.retry.initial_backoff_ms = rr.u64("initial_backoff_ms");
    x.retry.max_backoff_ms = rr.u64("max_backoff_ms");
    r.ok = r.ok && rr.ok;
  }
  x.default_ttl_s = r.u64("default_ttl_s");
  x.concurrency = static_cast<uint32_t>(r.u64("concurrency"));
  x.blocked = r.boolean("blocked");
  x.created_ms = r.u64("created_ms");
  x.updated_ms = r.u64("updated_ms");
  x.version = r.u64("version");
  x.key_hash = r.opt_str("key_hash");
  if (!r.ok)
    return make_error(ec::store_failure, "corrupt adapter record in store");
  return x;
}

} // namespace ns
