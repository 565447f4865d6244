#pragma once

#include <string>

#include <boost/json/object.hpp>
#include <caf/error.hpp>

#include "config/error.hpp"
#include "net/http_server.hpp"

namespace ns::net {

/// The HTTP status for an ns error code.
unsigned status_of(ec code);

/// The error object `{"code", "message", "details"}` of `err`.
boost::json::object error_json(const caf::error& err);

/// The answer for `err`: its status and the API's error body
/// `{"error": {"code", "message", "details"}}`; Retry-After where it helps.
response error_response(const caf::error& err);

/// Shorthand for error_response(make_error(code, message, details)).
response error_response(ec code, std::string message, std::string details = {});

} // namespace ns::net
