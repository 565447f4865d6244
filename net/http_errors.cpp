#include "net/http_errors.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "config/utf8.hpp"

namespace ns::net {

unsigned status_of(ec code) {
  switch (code) {
    case ec::malformed_json:
    case ec::invalid_field:
    case ec::invalid_config:
    case ec::bad_request: return 400;
    case ec::unauthorized: return 401;
    case ec::forbidden:
    case ec::client_blocked:
    case ec::adapter_not_allowed: return 403;
    case ec::not_found: return 404;
    case ec::method_not_allowed: return 405;
    case ec::conflict:
    case ec::already_final: return 409;
    case ec::payload_too_large: return 413;
    case ec::unsupported_media_type: return 415;
    case ec::invalid_params: return 422;
    case ec::rate_limited: return 429;
    case ec::header_too_large: return 431;
    case ec::overloaded:
    case ec::not_ready:
    case ec::store_failure:
    case ec::store_locked: return 503;
    case ec::none:
    case ec::internal: return 500;
  }
  return 500;
}

boost::json::object error_json(const caf::error& err) {
  auto code = code_of(err);
  boost::json::object details;
  // Messages and details quote what the client sent (a path, a header),
  // which need not be UTF-8; the answer is JSON, so it must be.
  if (auto text = utf8::sanitize(details_of(err)); !text.empty()) {
    boost::system::error_code jerr;
    auto v = boost::json::parse(text, jerr);
    if (!jerr && v.is_object())
      details = std::move(v.get_object());
  }
  auto message = utf8::sanitize(message_of(err));
  if (message.empty())
    message = to_string(code);
  return boost::json::object{{"code", to_string(code)},
                             {"message", message},
                             {"details", std::move(details)}};
}

response error_response(const caf::error& err) {
  response res;
  res.status = status_of(code_of(err));
  boost::json::object body{{"error", error_json(err)}};
  res.body = boost::json::serialize(body);
  if (res.status == 503)
    res.headers.emplace_back("Retry-After", "1");
  return res;
}

response error_response(ec code, std::string message, std::string details) {
  return error_response(
    make_error(code, std::move(message), std::move(details)));
}

} // namespace ns::net
