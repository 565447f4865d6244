#pragma once

#include <string_view>

#include <caf/expected.hpp>

#include "actors/model.hpp"

// Validation of admin request bodies at the edge: JSON syntax, field types,
// ranges, unknown fields. Pure functions; errors are ec::malformed_json or
// ec::invalid_field with `details.field` naming the field.

namespace ns::net {

caf::expected<client_spec> parse_client_spec(std::string_view body);
caf::expected<client_patch> parse_client_patch(std::string_view body);
caf::expected<adapter_spec> parse_adapter_spec(std::string_view body);
caf::expected<adapter_patch> parse_adapter_patch(std::string_view body);

} // namespace ns::net
