#include "config/error.hpp"

#include <caf/message.hpp>

namespace ns {

const char* to_string(ec x) {
  switch (x) {
    case ec::none: return "none";
    case ec::invalid_config: return "invalid_config";
    case ec::malformed_json: return "malformed_json";
    case ec::invalid_field: return "invalid_field";
    case ec::unauthorized: return "unauthorized";
    case ec::forbidden: return "forbidden";
    case ec::client_blocked: return "client_blocked";
    case ec::adapter_not_allowed: return "adapter_not_allowed";
    case ec::not_found: return "not_found";
    case ec::method_not_allowed: return "method_not_allowed";
    case ec::unsupported_media_type: return "unsupported_media_type";
    case ec::conflict: return "conflict";
    case ec::already_final: return "already_final";
    case ec::payload_too_large: return "payload_too_large";
    case ec::header_too_large: return "header_too_large";
    case ec::invalid_params: return "invalid_params";
    case ec::rate_limited: return "rate_limited";
    case ec::overloaded: return "overloaded";
    case ec::not_ready: return "not_ready";
    case ec::store_failure: return "store_failure";
    case ec::store_locked: return "store_locked";
    case ec::internal: return "internal";
    case ec::bad_request: return "bad_request";
  }
  return "internal";
}

caf::error make_error(ec code, std::string message, std::string details) {
  return caf::make_error(code, std::move(message), std::move(details));
}

ec code_of(const caf::error& err) {
  if (!err)
    return ec::none;
  if (err.category() != caf::atom("ns"))
    return ec::internal;
  return static_cast<ec>(err.code());
}

namespace {

std::string string_at(const caf::error& err, size_t index) {
  const auto& ctx = err.context();
  if (ctx.size() > index && ctx.match_element<std::string>(index))
    return ctx.get_as<std::string>(index);
  return {};
}

} // namespace

std::string message_of(const caf::error& err) {
  if (!err)
    return {};
  if (err.category() != caf::atom("ns")) {
    // Foreign errors (CAF's own) still deserve a readable sentence.
    auto str = caf::to_string(err);
    return str;
  }
  return string_at(err, 0);
}

std::string details_of(const caf::error& err) {
  return err.category() == caf::atom("ns") ? string_at(err, 1) : std::string{};
}

} // namespace ns
