#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <simdjson.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <caf/expected.hpp>

// Reading request bodies at the HTTP edge with simdjson's DOM: the body must
// be a JSON object, fields have types and ranges, unknown fields are errors.
// Every error names its field in `details.field`. Include only from .cpp files
// of net/ (simdjson.h is heavy).

namespace ns::net::json_fields {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

/// An ec::invalid_field error naming `field`.
caf::error invalid(std::string_view field, std::string message);

/// Parses `body` with this thread's parser; it must be a JSON object, nest at
/// most max_json_depth levels (config/json_limits.hpp) and repeat no key in
/// any object. The result lives until the next parse on this thread.
caf::expected<object> parse_body(std::string_view body);

/// Fails on the first field of `obj` not in `known` (`prefix` names nesting).
caf::error only_known(const object& obj,
                      std::initializer_list<std::string_view> known,
                      std::string_view prefix = {});

caf::expected<std::string> get_string(element v, std::string_view field,
                                      size_t max_len);
caf::expected<bool> get_bool(element v, std::string_view field);
caf::expected<uint64_t> get_uint(element v, std::string_view field,
                                 uint64_t min, uint64_t max);

/// The value as a Boost.JSON tree (what valijson and the store use).
boost::json::value to_boost(element v);
boost::json::object to_boost(const object& obj);

} // namespace ns::net::json_fields
