#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace ns {

/// Every failure ns reports. Values are only ever appended: they travel inside
/// caf::error and end up as HTTP statuses (net/http_errors.cpp).
enum class ec : uint8_t {
  none = 0,
  invalid_config,
  malformed_json,
  invalid_field,
  unauthorized,
  forbidden,
  client_blocked,
  adapter_not_allowed,
  not_found,
  method_not_allowed,
  unsupported_media_type,
  conflict,
  already_final,
  payload_too_large,
  header_too_large,
  invalid_params,
  rate_limited,
  overloaded,
  not_ready,
  store_failure,
  store_locked,
  internal,
  bad_request,
};

/// The snake_case name used as `error.code` in HTTP answers.
const char* to_string(ec x);

/// Builds an error with a human message and, optionally, a JSON object text
/// with details (e.g. `{"field":"name"}`).
caf::error make_error(ec code, std::string message, std::string details = {});

/// The ns code of `err`, or ec::internal when it comes from elsewhere.
ec code_of(const caf::error& err);

/// The human message carried by `err` (empty when there is none).
std::string message_of(const caf::error& err);

/// The details JSON text carried by `err` (empty when there is none).
std::string details_of(const caf::error& err);

} // namespace ns

CAF_ERROR_CODE_ENUM(ns::ec, "ns")
